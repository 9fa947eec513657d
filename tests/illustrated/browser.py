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
  - records sit in their sender's lane (the client's start further left
    than the server's); an opened record keeps its C listings behind a
    second fold; a link of the overview at the top, of a session's overview
    or of its key schedule opens the record it names;
  - a long value (XXhfs's 1,184-byte ML-KEM key) is folded on screen, and
    a click on its fold shows all of its bytes;
  - "Open all" opens every record;
  - at 420 px wide (a phone), with every record and every source fold open,
    nothing is wider than the window: no horizontal scroll.
Writes screenshots for a person to look at: the top of the page
(SCREENSHOT with -top before .png), a record open (SCREENSHOT), and the
top at 420 px (-narrow). Exits 1 with a message on the first failure, 77 when
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
    # Lanes: a record sits on its sender's side.
    left = driver.execute_script(
        "return [document.getElementById('xx-msg1').getBoundingClientRect().left,"
        " document.getElementById('xx-msg2').getBoundingClientRect().left]")
    if not left[0] < left[1]:
        fail("the client's record #xx-msg1 (left %d) is not left of the server's #xx-msg2 "
             "(left %d)" % (left[0], left[1]))
    # The C is a second fold, closed in an opened record.
    if driver.find_element(By.CSS_SELECTOR, "#xx-msg2 details.src").get_attribute("open") \
            is not None:
        fail("the source listings of #xx-msg2 are open with the record")
    # A long value is folded: its first bytes, and a click shows them all.
    rec = driver.find_element(By.CSS_SELECTOR, "#xxhfs-msg1 > summary")
    driver.execute_script("arguments[0].scrollIntoView()", rec)
    rec.click()
    fold = driver.find_element(By.CSS_SELECTOR, "#xxhfs-msg1 dl.fields details.long")
    if fold.get_attribute("open") is not None:
        fail("the 1,184-byte e1 of #xxhfs-msg1 is not folded")
    summary = fold.find_element(By.TAG_NAME, "summary")
    driver.execute_script("arguments[0].scrollIntoView()", summary)
    summary.click()
    shown = fold.find_element(By.CSS_SELECTOR, "span.f.e1:not(summary span)").text.split()
    if fold.get_attribute("open") is None or len(shown) != 1184:
        fail("clicking the fold of e1 in #xxhfs-msg1 did not show its 1,184 bytes (%d shown)"
             % len(shown))
    # The overview and the key schedule link to records, and open them.
    for link, ident in ((".glance a[href='#xx-msg3']", "xx-msg3"),
                        ("#nk .overview a[href='#nk-msg2']", "nk-msg2"),
                        ("#nk table.ks a[href='#nk-client-0']", "nk-client-0")):
        a = driver.find_element(By.CSS_SELECTOR, link)
        driver.execute_script("arguments[0].scrollIntoView()", a)
        a.click()
        if driver.find_element(By.ID, ident).get_attribute("open") is None:
            fail("the link %s did not open #%s" % (link, ident))
    os.makedirs(os.path.dirname(os.path.abspath(shot)), exist_ok=True)
    base = shot[:-4] if shot.endswith(".png") else shot
    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(base + "-top.png")
    driver.execute_script("arguments[0].scrollIntoView()", target)
    driver.save_screenshot(shot)
    # "Open all".
    buttons = [b for b in driver.find_elements(By.CSS_SELECTOR, "#controls button")
               if b.text == "Open all"]
    if not buttons:
        fail("no 'Open all' button")
    buttons[0].click()
    if any(r.get_attribute("open") is None for r in records):
        fail("'Open all' left records closed")

    # A phone: 420 px wide, everything open, nothing wider than the window.
    # (A headless window has a minimum width above 420 px: emulate the screen.)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 420, "height": 900, "deviceScaleFactor": 1, "mobile": True})
    driver.execute_script("document.querySelectorAll('details').forEach("
                          "function (d) { d.open = true; })")
    wide = driver.execute_script(
        "var w = document.documentElement.clientWidth, out = [];"
        "document.querySelectorAll('body *').forEach(function (e) {"
        "  var r = e.getBoundingClientRect();"
        "  var over = r.width > 0 && r.right > w + 1 ||"
        "    e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1 &&"
        "    getComputedStyle(e).overflowX !== 'hidden';"
        "  if (over && out.length < 5)"
        "    out.push(e.tagName + '.' + e.className + ' ' + Math.round(r.right)); });"
        "return [w, document.documentElement.scrollWidth, out];")
    if wide[1] > wide[0] or wide[2]:
        fail("at 420 px the page scrolls sideways (window %d px, page %d px): %s"
             % (wide[0], wide[1], wide[2]))
    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(base + "-narrow.png")

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
          "request (only %s), click and Enter open records, no horizontal scroll at 420 px; "
          "screenshots %s, %s-top.png, %s-narrow.png"
          % (len(records), os.path.basename(url), shot, base, base))
finally:
    if driver is not None:
        driver.quit()
    shutil.rmtree(profile, ignore_errors=True)
