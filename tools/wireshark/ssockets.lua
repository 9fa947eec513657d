-- ssockets.lua — a Wireshark / tshark dissector for SSockets/1
-- (docs/protocol.md), with decryption from an SSOCKETS_KEYLOGFILE key log.
--
--   tshark -X lua_script:tools/wireshark/ssockets.lua -r capture.pcap -V
--   tshark -X lua_script:tools/wireshark/ssockets.lua \
--          -o ssockets.keylog_file:keys.log -r capture.pcap -V
--
-- or copy this file into Wireshark's personal Lua plugins folder
-- (~/.local/lib/wireshark/plugins/ on Linux; Help > About > Folders shows it).
-- Course chapter: docs/wire.md.
--
-- What it shows, for each frame (protocol.md §2: a 2-byte big-endian
-- length, then that many bytes):
--   frame 0         the protocol name in clear, and its pattern (§3)
--   handshake       the fields of each message for that pattern (§5):
--                   ephemeral keys, encrypted static keys and their tags,
--                   the tag of the empty payload; in the hybrid patterns
--                   (NNhfs, NKhfs, XXhfs) also the ML-KEM-768 public key
--                   (token e1) and ciphertext (token ekem1)
--   transport       ciphertext and tag (§6); with the key log: the tag
--                   checked, then the type byte and the body
--   plain mode      type and body (§9)
-- It is found by the protocol name of frame 0 (a heuristic dissector on
-- TCP) or by port (preference ssockets.port, for plain-mode sessions, which
-- have no frame 0). Frames split over TCP segments, and several frames in
-- one segment, are handled with TCP reassembly.
--
-- Preferences: ssockets.port (default 5000), ssockets.keylog_file.
-- Fields: ssockets.frame_len, ssockets.protocol, ssockets.pattern,
-- ssockets.msg, ssockets.e, ssockets.s, ssockets.s_tag, ssockets.e1,
-- ssockets.e1_tag, ssockets.ekem1, ssockets.ekem1_tag,
-- ssockets.payload_tag, ssockets.n, ssockets.ciphertext, ssockets.tag,
-- ssockets.tag_ok, ssockets.type, ssockets.body, ssockets.text, ...
--
-- Written for Lua 5.2 (the Lua of tshark in Debian 12), with bit32 for the
-- 32-bit operations: Lua 5.2 numbers are doubles, exact up to 2^53.
-- The cryptography below is for reading one's own captures: unlike
-- src/crypto it makes no attempt to run in constant time, and it is slow
-- (about 200 KiB/s), which is plenty for the sessions of the course.

------------------------------------------------------------------------
-- ChaCha20 (RFC 8439 §2.3, §2.4)
------------------------------------------------------------------------

local bit32 = bit32
local band, bxor, rol = bit32.band, bit32.bxor, bit32.lrotate
local TWO32 = 4294967296

local function le32(s, i) -- the 4 bytes of s at i (1-based), little-endian
    local a, b, c, d = s:byte(i, i + 3)
    return a + b * 256 + c * 65536 + d * 16777216
end

local function put_le32(w)
    return string.char(w % 256, math.floor(w / 256) % 256,
                       math.floor(w / 65536) % 256, math.floor(w / 16777216))
end

-- RFC 8439 §2.1: the quarter round on four words of x.
local function quarter(x, a, b, c, d)
    x[a] = (x[a] + x[b]) % TWO32; x[d] = rol(bxor(x[d], x[a]), 16)
    x[c] = (x[c] + x[d]) % TWO32; x[b] = rol(bxor(x[b], x[c]), 12)
    x[a] = (x[a] + x[b]) % TWO32; x[d] = rol(bxor(x[d], x[a]), 8)
    x[c] = (x[c] + x[d]) % TWO32; x[b] = rol(bxor(x[b], x[c]), 7)
end

-- RFC 8439 §2.3: the 64-byte block for key (32 bytes), counter, nonce (12).
local function chacha20_block(key, counter, nonce)
    local state = { 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574 }
    for i = 0, 7 do state[5 + i] = le32(key, 1 + 4 * i) end
    state[13] = counter
    for i = 0, 2 do state[14 + i] = le32(nonce, 1 + 4 * i) end
    local x = {}
    for i = 1, 16 do x[i] = state[i] end
    for _ = 1, 10 do -- 20 rounds: a column round and a diagonal round, 10 times
        quarter(x, 1, 5, 9, 13); quarter(x, 2, 6, 10, 14)
        quarter(x, 3, 7, 11, 15); quarter(x, 4, 8, 12, 16)
        quarter(x, 1, 6, 11, 16); quarter(x, 2, 7, 12, 13)
        quarter(x, 3, 8, 9, 14); quarter(x, 4, 5, 10, 15)
    end
    local out = {}
    for i = 1, 16 do out[i] = put_le32((x[i] + state[i]) % TWO32) end
    return table.concat(out)
end

-- RFC 8439 §2.4: data XOR the key stream, blocks counter, counter + 1, ...
local function chacha20(key, counter, nonce, data)
    local out = {}
    for pos = 1, #data, 64 do
        local block = chacha20_block(key, counter, nonce)
        counter = counter + 1
        local chunk = data:sub(pos, pos + 63)
        local bytes = {}
        for i = 1, #chunk do
            bytes[i] = string.char(bxor(chunk:byte(i), block:byte(i)))
        end
        out[#out + 1] = table.concat(bytes)
    end
    return table.concat(out)
end

------------------------------------------------------------------------
-- Poly1305 (RFC 8439 §2.5): arithmetic modulo p = 2^130 - 5
--
-- A number below 2^130 is held in 10 limbs of 13 bits (limb i weighs
-- 2^(13 i)). A product of two limbs with the factor 5 of the reduction is
-- below 2^14 * 2^13 * 5 < 2^30, and a sum of ten of them below 2^34: every
-- intermediate is an integer far below 2^53, so doubles hold it exactly.
-- (The C code, src/crypto/poly1305.c, uses 64-bit limbs and 128-bit
-- products; the mathematics is the same.)
------------------------------------------------------------------------

local LIMB = 8192 -- 2^13

-- The 17-byte little-endian string s (bits 0..135) as 10 limbs of 13 bits.
local function limbs_of(s)
    local l = {}
    for i = 0, 9 do
        local bitpos = 13 * i
        local byte = math.floor(bitpos / 8)
        local a, b, c = s:byte(byte + 1, byte + 3)
        local v = (a or 0) + (b or 0) * 256 + (c or 0) * 65536
        l[i] = math.floor(v / 2 ^ (bitpos % 8)) % LIMB
    end
    return l
end

-- Carries every limb into the next; what leaves limb 9 (weight 2^130)
-- comes back into limb 0 times 5, since 2^130 = 5 modulo p.
local function carry(h)
    for _ = 1, 2 do
        local c = 0
        for i = 0, 9 do
            local v = h[i] + c
            c = math.floor(v / LIMB)
            h[i] = v % LIMB
        end
        h[0] = h[0] + 5 * c
    end
end

local function poly1305(key, msg)
    -- §2.5: r is clamped (some bits of r cleared), s is added at the end.
    local r_bytes = {}
    for i = 1, 16 do r_bytes[i] = key:byte(i) end
    for _, i in ipairs({ 4, 8, 12, 16 }) do r_bytes[i] = band(r_bytes[i], 15) end
    for _, i in ipairs({ 5, 9, 13 }) do r_bytes[i] = band(r_bytes[i], 252) end
    local r = limbs_of(string.char(table.unpack(r_bytes)) .. "\0")
    local h = {}
    for i = 0, 9 do h[i] = 0 end
    for pos = 1, #msg, 16 do
        -- Each block of up to 16 bytes, with a 1 byte appended (§2.5.1).
        local block = msg:sub(pos, pos + 15) .. "\1"
        local n = limbs_of(block .. string.rep("\0", 17 - #block))
        for i = 0, 9 do h[i] = h[i] + n[i] end
        -- h = h * r mod p: the product's limbs i + j >= 10 wrap, times 5.
        local d = {}
        for k = 0, 9 do
            local sum = 0
            for i = 0, 9 do
                local j = k - i
                if j >= 0 then
                    sum = sum + h[i] * r[j]
                else
                    sum = sum + h[i] * r[j + 10] * 5
                end
            end
            d[k] = sum
        end
        carry(d)
        h = d
    end
    -- Fully reduce: h < 2^130 now; h - p = h + 5 - 2^130 if that is >= 0.
    carry(h)
    local g, c = {}, 5
    for i = 0, 9 do
        local v = h[i] + c
        c = math.floor(v / LIMB)
        g[i] = v % LIMB
    end
    if c > 0 then h = g end
    -- tag = (h + s) mod 2^128, little-endian.
    local out, acc, bits, li = {}, 0, 0, 0
    local s_carry = 0
    for i = 1, 16 do
        while bits < 8 do
            acc = acc + h[li] * 2 ^ bits
            bits, li = bits + 13, li + 1
        end
        local v = acc % 256 + key:byte(16 + i) + s_carry
        out[i] = string.char(v % 256)
        s_carry = math.floor(v / 256)
        acc = math.floor(acc / 256)
        bits = bits - 8
    end
    return table.concat(out)
end

------------------------------------------------------------------------
-- ChaCha20-Poly1305 (RFC 8439 §2.8), opening only
------------------------------------------------------------------------

local function pad16(s) return string.rep("\0", (16 - #s % 16) % 16) end

local function le64(n) return put_le32(n % TWO32) .. put_le32(math.floor(n / TWO32)) end

-- The tag of (ad, ciphertext) under key and nonce.
local function aead_tag(key, nonce, ad, ct)
    local otk = chacha20_block(key, 0, nonce):sub(1, 32) -- §2.6: one-time key
    return poly1305(otk, ad .. pad16(ad) .. ct .. pad16(ct) .. le64(#ad) .. le64(#ct))
end

-- Returns the plaintext, or nil when the tag does not match: the
-- ciphertext is decrypted only after its tag has been checked.
local function aead_open(key, nonce, ad, ct_and_tag)
    if #ct_and_tag < 16 then return nil end
    local ct, tag = ct_and_tag:sub(1, -17), ct_and_tag:sub(-16)
    if aead_tag(key, nonce, ad, ct) ~= tag then return nil end
    return chacha20(key, 1, nonce, ct)
end

-- Noise rev 34 §12.3: the nonce is 32 zero bits, then n, 64-bit little-endian.
local function noise_nonce(n) return "\0\0\0\0" .. le64(n) end

local function tohex(s)
    return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local function fromhex(h)
    return (h:gsub("%x%x", function(x) return string.char(tonumber(x, 16)) end))
end

local crypto = {
    chacha20_block = chacha20_block, chacha20 = chacha20, poly1305 = poly1305,
    aead_tag = aead_tag, aead_open = aead_open, noise_nonce = noise_nonce,
    tohex = tohex, fromhex = fromhex,
}

-- Outside Wireshark (the test of the vectors, tests/wireshark/vectors.lua)
-- this file is only the cryptography above.
if Proto == nil then return crypto end

------------------------------------------------------------------------
-- The protocol
------------------------------------------------------------------------

local ss = Proto("ssockets", "SSockets/1")

local TYPES = { [0] = "data, last fragment", [1] = "data, more fragments follow",
                [2] = "close", [3] = "refused: the server refuses the client's static key" }
-- The reason byte of a type 0x03 frame, and of a refusal frame (docs/protocol.md).
local REFUSED_REASONS = { [1] = "not in the server's allow-list", [2] = "not the pinned key" }
local REFUSAL_MAGIC = "SSockets/1 refused"
local REFUSAL_REASONS = { [1] = "the pattern is not accepted",
                          [2] = "NK message 1 did not authenticate (the client pinned another key)" }

local F = {
    frame_len   = ProtoField.uint16("ssockets.frame_len", "Frame length", base.DEC),
    direction   = ProtoField.string("ssockets.direction", "Direction"),
    kind        = ProtoField.string("ssockets.kind", "Frame"),
    protocol    = ProtoField.string("ssockets.protocol", "Protocol name"),
    pattern     = ProtoField.string("ssockets.pattern", "Pattern"),
    msg         = ProtoField.uint8("ssockets.msg", "Handshake message", base.DEC),
    tokens      = ProtoField.string("ssockets.tokens", "Tokens"),
    e           = ProtoField.bytes("ssockets.e", "Ephemeral public key (e), in clear"),
    s           = ProtoField.bytes("ssockets.s", "Static public key (s), encrypted"),
    s_tag       = ProtoField.bytes("ssockets.s_tag", "Tag of the encrypted static key"),
    e1          = ProtoField.bytes("ssockets.e1", "KEM public key (e1, ML-KEM-768 ek)"),
    e1_tag      = ProtoField.bytes("ssockets.e1_tag", "Tag of the encrypted KEM public key"),
    ekem1       = ProtoField.bytes("ssockets.ekem1",
                                   "KEM ciphertext (ekem1, ML-KEM-768), encrypted"),
    ekem1_tag   = ProtoField.bytes("ssockets.ekem1_tag", "Tag of the encrypted KEM ciphertext"),
    payload_tag = ProtoField.bytes("ssockets.payload_tag", "Tag of the empty payload"),
    n           = ProtoField.uint32("ssockets.n", "Counter n (not on the wire)", base.DEC),
    ciphertext  = ProtoField.bytes("ssockets.ciphertext", "Ciphertext of type || body"),
    tag         = ProtoField.bytes("ssockets.tag", "Tag (Poly1305)"),
    tag_ok      = ProtoField.bool("ssockets.tag_ok", "Tag checks"),
    decrypted   = ProtoField.bool("ssockets.decrypted", "Decrypted with the key log"),
    type        = ProtoField.uint8("ssockets.type", "Type", base.HEX, TYPES),
    body        = ProtoField.bytes("ssockets.body", "Body"),
    text        = ProtoField.string("ssockets.text", "Body as text"),
    plain       = ProtoField.bool("ssockets.plain", "Plain mode (no encryption)"),
    reason      = ProtoField.uint8("ssockets.reason", "Reason", base.HEX),
    accepts     = ProtoField.string("ssockets.accepts", "What the server accepts"),
}
local field_list = {}
for _, f in pairs(F) do field_list[#field_list + 1] = f end
ss.fields = field_list

local E = {
    tag_bad = ProtoExpert.new("ssockets.tag_bad.expert",
                              "The tag does not check: the frame was changed, replayed, "
                              .. "reordered or made with another key", expert.group.CHECKSUM,
                              expert.severity.ERROR),
    no_key = ProtoExpert.new("ssockets.no_key.expert",
                             "No key for this session in the key log (ssockets.keylog_file)",
                             expert.group.DECRYPTION, expert.severity.NOTE),
    short = ProtoExpert.new("ssockets.short.expert",
                            "Frame too short for its place in the protocol",
                            expert.group.MALFORMED, expert.severity.ERROR),
}
ss.experts = { E.tag_bad, E.no_key, E.short }

ss.prefs.port = Pref.uint("TCP port", 5000,
                          "Decode this TCP port as SSockets/1 (needed for --plain sessions, "
                          .. "which have no protocol name; encrypted ones are recognised by "
                          .. "their frame 0 on any port)")
ss.prefs.keylog_file = Pref.string("Key log file", "",
                                   "A file written by the library with SSOCKETS_KEYLOGFILE "
                                   .. "set: its keys decrypt the transport frames")

------------------------------------------------------------------------
-- Frame 0: the protocol names (protocol.md §3) and their handshakes (§5)
------------------------------------------------------------------------

local SUFFIX = "_25519_ChaChaPoly_SHA256"

-- Each handshake message of each pattern, as (field, size) in wire order.
local LAYOUT = {
    NN = { { tokens = "e", { "e", 32 } },
           { tokens = "e, ee", { "e", 32 }, { "payload_tag", 16 } } },
    NK = { { tokens = "e, es", { "e", 32 }, { "payload_tag", 16 } },
           { tokens = "e, ee", { "e", 32 }, { "payload_tag", 16 } } },
    XX = { { tokens = "e", { "e", 32 } },
           { tokens = "e, ee, s, es", { "e", 32 }, { "s", 32 }, { "s_tag", 16 },
             { "payload_tag", 16 } },
           { tokens = "s, se", { "s", 32 }, { "s_tag", 16 }, { "payload_tag", 16 } } },
    -- The hybrid forms (noise_hfs.md §5, ML-KEM-768): e1 is the KEM public
    -- key (1184 bytes; encrypted in NKhfs, after es), ekem1 the ciphertext
    -- (1088 bytes, encrypted after ee).
    NNhfs = { { tokens = "e, e1", { "e", 32 }, { "e1", 1184 } },
              { tokens = "e, ee, ekem1", { "e", 32 }, { "ekem1", 1088 }, { "ekem1_tag", 16 },
                { "payload_tag", 16 } } },
    NKhfs = { { tokens = "e, es, e1", { "e", 32 }, { "e1", 1184 }, { "e1_tag", 16 },
                { "payload_tag", 16 } },
              { tokens = "e, ee, ekem1", { "e", 32 }, { "ekem1", 1088 }, { "ekem1_tag", 16 },
                { "payload_tag", 16 } } },
    XXhfs = { { tokens = "e, e1", { "e", 32 }, { "e1", 1184 } },
              { tokens = "e, ee, ekem1, s, es", { "e", 32 }, { "ekem1", 1088 },
                { "ekem1_tag", 16 }, { "s", 32 }, { "s_tag", 16 }, { "payload_tag", 16 } },
              { tokens = "s, se", { "s", 32 }, { "s_tag", 16 }, { "payload_tag", 16 } } },
}
-- hfs §5: the KEM's name follows the DH's, after a plus sign.
local HFS_SUFFIX = "_25519+MLKEM768_ChaChaPoly_SHA256"
-- The two lengths of frame 0: 32 bytes (classical names), 44 (hybrid).
local NAME_LENGTHS = { [#"Noise_NN" + #SUFFIX] = true, [#"Noise_NNhfs" + #HFS_SUFFIX] = true }

local function pattern_of(name)
    local p = name:match("^Noise_(%u%u)" .. SUFFIX:gsub("%p", "%%%0") .. "$")
        or name:match("^Noise_(%u%uhfs)" .. HFS_SUFFIX:gsub("%p", "%%%0") .. "$")
    if p and LAYOUT[p] then return p end
    return nil
end

------------------------------------------------------------------------
-- The key log (docs/protocol.md §14): SSOCKETS_KEYS <initiator e> <k1> <k2>
------------------------------------------------------------------------

-- The file is parsed once, and again only when it changes: a key log of
-- thousands of lines parsed for every frame of a session it does not hold
-- made a capture of thousands of frames take minutes. Plain Lua sees no
-- modification time, so "changes" is: another path, or another size (a
-- key log only grows, one line per connection). SSOCKETS_DISSECTOR_STATS
-- set in the environment prints a line on stderr at each parse (the tests
-- count them).
local keylog = { path = nil, size = nil, keys = {} }

local function file_size(path)
    local f = io.open(path, "r")
    if f == nil then return nil end
    local size = f:seek("end")
    f:close()
    return size
end

local function load_keylog()
    local path = ss.prefs.keylog_file
    keylog.path, keylog.size, keylog.keys = path, nil, {}
    if path == nil or path == "" then return end
    local f = io.open(path, "r")
    if f == nil then return end
    keylog.size = f:seek("end")
    f:seek("set")
    for line in f:lines() do
        local e, k1, k2 = line:match("^SSOCKETS_KEYS (%x+) (%x+) (%x+)%s*$")
        if e and #e == 64 and #k1 == 64 and #k2 == 64 then
            keylog.keys[e:lower()] = { fromhex(k1), fromhex(k2) }
        end
    end
    f:close()
    if os.getenv("SSOCKETS_DISSECTOR_STATS") then
        io.stderr:write("ssockets.lua: key log parsed\n")
    end
end

local function keys_for(initiator_e)
    local path = ss.prefs.keylog_file
    if keylog.path ~= path or
        (keylog.keys[initiator_e] == nil and path ~= nil and path ~= "" and
         file_size(path) ~= keylog.size) then
        load_keylog() -- another file, or this one has grown since: read it again
    end
    return keylog.keys[initiator_e]
end

------------------------------------------------------------------------
-- Per connection: who is the client, which pattern, how far each
-- direction has gone. Computed on the first pass, in capture order, and
-- kept per frame for later passes (Wireshark may dissect a packet again).
------------------------------------------------------------------------

local f_stream = Field.new("tcp.stream")
local sessions = {}   -- tcp.stream -> session
local results = {}    -- "packet:length:offset" -> what the first pass found
local infos = {}      -- packet number -> the summaries shown in its Info column

function ss.init()
    sessions, results, infos = {}, {}, {}
    load_keylog()
end

local function session_of(pinfo)
    local stream = f_stream()
    local id = stream and stream.value or -1
    local s = sessions[id]
    if s == nil then
        s = { mode = nil, client = nil, pattern = nil, count = {}, n = {}, e = nil }
        sessions[id] = s
    end
    return s
end

local function endpoint(pinfo)
    return tostring(pinfo.src) .. ":" .. tostring(pinfo.src_port)
end

-- What frame number `body` is in its direction, and what it means.
-- Returns a description table, stored for later passes.
local function classify(s, from, body)
    local r = { from = from }
    if s.mode == nil then
        local name = body
        if pattern_of(name) then
            s.mode, s.client, s.pattern = "noise", from, pattern_of(name)
        else
            s.mode = "plain"
        end
    end
    if s.mode == "plain" then
        r.kind = "plain"
        return r
    end
    local is_client = from == s.client
    local k = s.count[from] or 0
    s.count[from] = k + 1
    r.is_client = is_client
    r.pattern = s.pattern
    local layout = LAYOUT[s.pattern]
    if is_client and k == 0 then
        r.kind = "name"
        return r
    end
    -- The server's first frame may be its refusal instead of message 2.
    if not is_client and k == 0 and body:sub(1, #REFUSAL_MAGIC) == REFUSAL_MAGIC then
        r.kind = "refusal"
        return r
    end
    -- The client's frames 1, 2 are messages 1, 3; the server's frame 0 is message 2.
    local msg = is_client and 2 * k - 1 or 2 * k + 2
    if msg <= #layout then
        r.kind, r.msg = "handshake", msg
        if msg == 1 and #body >= 32 then s.e = tohex(body:sub(1, 32)) end
        return r
    end
    r.kind = "transport"
    r.n = s.n[from] or 0
    s.n[from] = r.n + 1
    r.initiator_e = s.e
    return r
end

------------------------------------------------------------------------
-- Showing one frame
------------------------------------------------------------------------

-- Adds type and body; returns a summary such as: data, last fragment, "hello\n".
local function show_plaintext(tree, ptvb)
    local t = ptvb(0, 1):uint()
    tree:add(F.type, ptvb(0, 1))
    local summary = TYPES[t] or string.format("unknown type 0x%02x", t)
    if t == 3 and ptvb:len() == 2 then
        local reason = ptvb(1, 1):uint()
        tree:add(F.reason, ptvb(1, 1))
        return summary .. ": " .. (REFUSED_REASONS[reason] or "unknown reason")
    end
    if ptvb:len() > 1 then
        local body = ptvb(1)
        tree:add(F.body, body)
        local text = body:raw()
        if not text:find("[^%g%s]") then
            tree:add(F.text, body, text)
            local shown = text:gsub("\n", "\\n")
            if #shown > 40 then shown = shown:sub(1, 40) .. "..." end
            summary = summary .. ', "' .. shown .. '"'
        else
            summary = summary .. ", " .. (ptvb:len() - 1) .. " bytes"
        end
    end
    return summary
end

local function dissect_frame(tvb, pinfo, tree, offset, r)
    local len = tvb(offset, 2):uint()
    local frame = tvb(offset, 2 + len)
    local body = len > 0 and tvb(offset + 2, len) or nil
    local t = tree:add(ss, frame)
    t:add(F.frame_len, tvb(offset, 2))
    local dir
    if r.kind ~= "plain" then
        dir = r.is_client and "client -> server" or "server -> client"
        t:add(F.direction, frame, dir):set_generated()
    end
    local summary

    if r.kind == "plain" then
        t:add(F.kind, frame, "plain-mode frame"):set_generated()
        t:add(F.plain, frame, true):set_generated()
        if body then
            summary = "plain: " .. show_plaintext(t, body:tvb())
        else
            t:add_proto_expert_info(E.short)
            summary = "plain, empty frame"
        end

    elseif r.kind == "name" then
        t:add(F.kind, frame, "frame 0: protocol name, in clear"):set_generated()
        t:add(F.protocol, body)
        t:add(F.pattern, body(6, #r.pattern), r.pattern)
        summary = "frame 0: " .. body:string()

    elseif r.kind == "refusal" then
        -- In clear and not authenticated: it only words the client's error.
        t:add(F.kind, frame, "refusal frame, in clear (not authenticated)"):set_generated()
        local m = #REFUSAL_MAGIC
        local reason = len > m and body(m, 1):uint() or 0
        if len > m then t:add(F.reason, body(m, 1)) end
        summary = "refusal: " .. (REFUSAL_REASONS[reason] or "unknown reason")
        if len > m + 1 then
            t:add(F.accepts, body(m + 1, len - m - 1))
            summary = summary .. "; it accepts " .. body(m + 1, len - m - 1):string()
        end

    elseif r.kind == "handshake" then
        local layout = LAYOUT[r.pattern][r.msg]
        t:add(F.kind, frame, "handshake message " .. r.msg .. " of " .. r.pattern)
            :set_generated()
        t:add(F.msg, frame, r.msg):set_generated()
        t:add(F.tokens, frame, (r.msg % 2 == 1 and "-> " or "<- ") .. layout.tokens)
            :set_generated()
        local pos = 0
        for _, fs in ipairs(layout) do
            local name, size = fs[1], fs[2]
            if pos + size > len then
                t:add_proto_expert_info(E.short)
                break
            end
            t:add(F[name], body(pos, size))
            pos = pos + size
        end
        summary = "handshake message " .. r.msg .. " (" .. layout.tokens .. ")"

    else -- transport
        t:add(F.kind, frame, "transport frame"):set_generated()
        t:add(F.n, frame, r.n):set_generated()
        if len < 17 then
            t:add_proto_expert_info(E.short)
            return "transport frame, too short"
        end
        t:add(F.ciphertext, body(0, len - 16))
        t:add(F.tag, body(len - 16, 16))
        summary = "transport n=" .. r.n .. ":"
        local keys = r.initiator_e and keys_for(r.initiator_e)
        if keys == nil then
            t:add_proto_expert_info(E.no_key)
            summary = summary .. " encrypted (" .. (len - 16) .. " + 16 bytes)"
        else
            local key = r.is_client and keys[1] or keys[2]
            -- Opened once; Wireshark dissects a packet again each time it is shown.
            if r.opened == nil then
                r.opened = aead_open(key, noise_nonce(r.n), "", body:raw()) or false
            end
            local plain = r.opened
            if not plain then
                t:add(F.tag_ok, body(len - 16, 16), false):set_generated()
                t:add_proto_expert_info(E.tag_bad)
                summary = summary .. " TAG DOES NOT CHECK"
            else
                t:add(F.tag_ok, body(len - 16, 16), true):set_generated()
                local ptvb = ByteArray.new(plain, true):tvb("Decrypted SSockets frame")
                local d = t:add(F.decrypted, ptvb(), true)
                d:set_generated()
                summary = summary .. " " .. show_plaintext(d, ptvb)
            end
        end
    end
    t:append_text(", " .. summary)
    return summary
end

------------------------------------------------------------------------
-- The TCP stream: frames, reassembly
------------------------------------------------------------------------

function ss.dissector(tvb, pinfo, tree)
    local total = tvb:len()
    local offset = 0
    local summaries = {}
    local s = session_of(pinfo)
    while offset < total do
        local left = total - offset
        if left < 2 then
            pinfo.desegment_offset = offset
            pinfo.desegment_len = DESEGMENT_ONE_MORE_SEGMENT
            break
        end
        local len = tvb(offset, 2):uint()
        if left < 2 + len then
            -- protocol.md §2: read the length, then exactly that many bytes,
            -- however TCP cut them: ask TCP for the rest of this frame.
            pinfo.desegment_offset = offset
            pinfo.desegment_len = 2 + len - left
            break
        end
        local key = pinfo.number .. ":" .. total .. ":" .. offset
        local r = results[key]
        if r == nil then
            r = classify(s, endpoint(pinfo), tvb:raw(offset + 2, len))
            results[key] = r
        end
        summaries[#summaries + 1] = dissect_frame(tvb, pinfo, tree, offset, r)
        offset = offset + 2 + len
    end
    -- TCP may call us twice for one packet (a reassembled frame, then the
    -- rest of the segment); after the first call it fences the Info column,
    -- so what the second call writes comes after what the first wrote.
    pinfo.cols.protocol = "SSockets"
    local key = pinfo.number .. (pinfo.visited and "v" or "")
    local earlier = infos[key]
    if #summaries > 0 then
        pinfo.cols.info = (earlier and "; " or "") .. table.concat(summaries, "; ")
        infos[key] = true
    elseif not earlier then
        pinfo.cols.info = "[part of a frame]"
    end
    return total -- every byte is ours: dissected, or held by TCP for the next call
end

-- Found by the protocol name in frame 0, on any port. When TCP delivered
-- only the start of frame 0, its first bytes must be those of a name
-- ("Noise_"); the dissector then asks TCP for the rest.
local function heuristic(tvb, pinfo, tree)
    local avail = tvb:len()
    if avail < 4 or not NAME_LENGTHS[tvb(0, 2):uint()] then return false end
    local name_len = tvb(0, 2):uint()
    if avail >= 2 + name_len then
        if not pattern_of(tvb:raw(2, name_len)) then return false end
    else
        local start = tvb:raw(2, math.min(avail - 2, 6))
        if start ~= ("Noise_"):sub(1, #start) then return false end
    end
    pinfo.conversation = ss
    ss.dissector(tvb, pinfo, tree)
    return true
end
ss:register_heuristic("tcp", heuristic)

local tcp_port = DissectorTable.get("tcp.port")
local registered_port = 0
local function register_port()
    if registered_port ~= 0 then tcp_port:remove(registered_port, ss) end
    registered_port = ss.prefs.port
    if registered_port ~= 0 then tcp_port:add(registered_port, ss) end
end
function ss.prefs_changed()
    register_port()
    load_keylog()
end
register_port()
