"""browser.py — The Illustrated SSockets Connection in a real browser.

    /usr/bin/python3 tests/illustrated/browser.py PAGE SCREENSHOT

Opens PAGE (docs/illustrated/index.html) in Debian's chromium, headless,
through chromium-driver and Selenium, and checks that:
  - it loads with no console message of level SEVERE (errors);
  - it makes no network request: the browser's performance log (Chrome
    DevTools Protocol "Network.requestWillBeSent" events) shows no request
    made for the page other than its own file:// URL (and does show that
    one, so the check is not blind);
  - the script has closed the records (the HTML has them open), clicking a
    record's summary opens it, and the keyboard (focus + Enter) opens another;
  - "Open all" opens every record.
Writes a screenshot of the page with one record open to SCREENSHOT, for a
person to look at. Exits 1 with a message on the first failure, 77 when
Selenium, chromium or chromedriver is missing.
"""
import json
import os
import shutil
import sys
import tempfile

page, shot = sys.argv[1], sys.argv[2]
try:
    from selenium import webdriver
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.chrome.service import Service
except ImportError:
    print("skipped: python3-selenium is not installed")
    sys.exit(77)
driver_path = shutil.which("chromedriver")
browser_path = shutil.which("chromium")
if not driver_path or not browser_path:
    print("skipped: chromium and chromium-driver are needed")
    sys.exit(77)


def fail(msg):
    print("not ok - illustrated page in chromium: " + msg)
    sys.exit(1)


profile = tempfile.mkdtemp(prefix="ssockets-chromium.")
opts = webdriver.ChromeOptions()
opts.binary_location = browser_path
for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
          "--disable-component-update", "--disable-sync", "--no-first-run",
          "--disable-default-apps", "--disable-extensions", "--window-size=1200,1600",
          "--user-data-dir=" + profile):
    opts.add_argument(a)
opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
driver = None
try:
    driver = webdriver.Chrome(service=Service(driver_path), options=opts)
    driver.set_page_load_timeout(60)
    url = "file://" + os.path.abspath(page)
    driver.get(url)

    records = driver.find_elements(By.CSS_SELECTOR, "details.rec")
    if len(records) < 20:
        fail("only %d records on the page" % len(records))
    if any(r.get_attribute("open") is not None for r in records):
        fail("the script did not close the records")
    # A click on a record's summary opens it.
    target = driver.find_element(By.CSS_SELECTOR, "#xx-msg2 > summary")
    driver.execute_script("arguments[0].scrollIntoView()", target)
    target.click()
    if driver.find_element(By.ID, "xx-msg2").get_attribute("open") is None:
        fail("clicking the summary of #xx-msg2 did not open it")
    # The keyboard: focus a summary and press Enter.
    other = driver.find_element(By.CSS_SELECTOR, "#nn-frame0 > summary")
    driver.execute_script("arguments[0].focus()", other)
    other.send_keys(Keys.ENTER)
    if driver.find_element(By.ID, "nn-frame0").get_attribute("open") is None:
        fail("Enter on the focused summary of #nn-frame0 did not open it")
    driver.execute_script("arguments[0].scrollIntoView()", target)
    os.makedirs(os.path.dirname(os.path.abspath(shot)), exist_ok=True)
    driver.save_screenshot(shot)
    # "Open all".
    buttons = [b for b in driver.find_elements(By.CSS_SELECTOR, "#controls button")
               if b.text == "Open all"]
    if not buttons:
        fail("no 'Open all' button")
    buttons[0].click()
    if any(r.get_attribute("open") is None for r in records):
        fail("'Open all' left records closed")

    errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    if errors:
        fail("console errors: %s" % errors)
    requests = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        # Only what our page asked for: the browser's own start page
        # (chrome://new-tab-page...) loads before ours, with its own documentURL.
        if msg.get("method") == "Network.requestWillBeSent" and \
                msg["params"].get("documentURL") == url:
            requests.append(msg["params"]["request"]["url"])
    others = [u for u in requests if u != url]
    if others:
        fail("network requests besides the page: %s" % others)
    if url not in requests:
        fail("the performance log did not record even the page itself: the check is blind")
    print("ok - illustrated page in chromium: %d records, no console errors, no network "
          "request (only %s), click and Enter open records; screenshot %s"
          % (len(records), os.path.basename(url), shot))
finally:
    if driver is not None:
        driver.quit()
    shutil.rmtree(profile, ignore_errors=True)
