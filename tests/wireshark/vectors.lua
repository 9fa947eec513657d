-- vectors.lua — the Lua ChaCha20 and Poly1305 of tools/wireshark/ssockets.lua
-- against the RFC 8439 vectors in vectors/rfc8439 (transcribed from the
-- RFC; no expected value here comes from this project's code).
--
--   lua5.2 tests/wireshark/vectors.lua        (from the repository root)
--
-- Prints one line per file and exits 1 on any mismatch.
local c = dofile("tools/wireshark/ssockets.lua")
local hex, unhex = c.tohex, c.fromhex
local failures = 0

-- The records of a vector file: blocks of "Name = value" lines.
local function records(path)
    local out, cur = {}, nil
    for line in io.lines(path) do
        local k, v = line:match("^(%w+) = (.*)$")
        if k == "Section" then
            cur = { Section = v }
            out[#out + 1] = cur
        elseif k and cur then
            cur[k] = v
        end
    end
    return out
end

local function check(file, fn)
    local n, bad = 0, 0
    for _, r in ipairs(records("vectors/rfc8439/" .. file)) do
        local got, want = fn(r)
        n = n + 1
        if got ~= want then
            bad = bad + 1
            print("not ok - " .. file .. " " .. r.Section .. ": got " .. got .. ", want " .. want)
        end
    end
    if n == 0 then bad = bad + 1; print("not ok - " .. file .. ": no vectors read") end
    failures = failures + bad
    print(string.format("%s - %s: %d of %d vectors", bad == 0 and "ok" or "not ok", file,
                        n - bad, n))
end

check("chacha20_block.txt", function(r)
    return hex(c.chacha20_block(unhex(r.Key), tonumber(r.Counter), unhex(r.Nonce))), r.Block
end)
check("chacha20_encrypt.txt", function(r)
    return hex(c.chacha20(unhex(r.Key), tonumber(r.Counter), unhex(r.Nonce),
                          unhex(r.Plaintext))), r.Ciphertext
end)
check("poly1305.txt", function(r)
    return hex(c.poly1305(unhex(r.Key), unhex(r.Msg))), r.Tag
end)
check("poly1305_keygen.txt", function(r)
    return hex(c.chacha20_block(unhex(r.Key), 0, unhex(r.Nonce)):sub(1, 32)), r.OneTimeKey
end)
check("aead.txt", function(r)
    local ct, ad = unhex(r.Ciphertext), unhex(r.AAD)
    local tag = hex(c.aead_tag(unhex(r.Key), unhex(r.Nonce), ad, ct))
    local plain = c.aead_open(unhex(r.Key), unhex(r.Nonce), ad, ct .. unhex(r.Tag))
    -- and a flipped bit of the tag must be refused
    local bad_tag = unhex(r.Tag):sub(1, 15) .. string.char((unhex(r.Tag):byte(16) + 1) % 256)
    local refused = c.aead_open(unhex(r.Key), unhex(r.Nonce), ad, ct .. bad_tag) == nil
    return tag .. " " .. (plain and hex(plain) or "refused") .. " " .. tostring(refused),
           r.Tag .. " " .. r.Plaintext .. " true"
end)
os.exit(failures == 0 and 0 or 1)
