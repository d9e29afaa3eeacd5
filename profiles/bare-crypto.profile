# profiles/bare-crypto.profile: the built-in "bare-crypto" cost profile
# ([simulation] cpu-profile = bare-crypto gives the same figures).  CPU
# time of one core in microseconds; [memory] in bytes.  A test checks that
# this file and the built-in profile agree.
#
# The model before the cost model, kept for comparison: a handshake costs
# only its public-key operations (per side: one signature, three
# verifications, one X25519; resumed 50 us), every SIP message 50 us
# whatever its kind or transport, and nothing else: no connection, framing
# or record CPU, no memory beyond the simulator's own records
# (memory.conn_bytes), no queue limit.  Public-key figures: `openssl speed`
# on one core of an AMD EPYC (RSA-2048 sign 1050 us, verify 30 us; P-256
# sign 36 us, verify 102 us; X25519 41 us), RSA-3072 and Ed25519 from the
# usual ratios to those.

[profile]
base=bare-crypto

[sip]
invite=50.000
request=50.000
response=50.000
stream-framing=0.000

[conn]
connect=0.000
accept=0.000
close=0.000
tls-record=0.000
tls-aead-per-kib=0.000

[overload]
queue-limit=0.000

[memory]
socket=0
tls=0
proxy=0

[rsa-2048]
tls-full-server=1181.000
tls-full-client=1181.000
tls-resumed-server=50.000
tls-resumed-client=50.000
tls12-full-server=1181.000
tls12-full-client=1181.000
tls12-resumed-server=50.000
tls12-resumed-client=50.000
tls-full-server-oneway=1121.000
tls-full-client-oneway=131.000
tls12-full-server-oneway=1121.000
tls12-full-client-oneway=131.000
tls-resumed-server-oneway=50.000
tls-resumed-client-oneway=50.000
tls12-resumed-server-oneway=50.000
tls12-resumed-client-oneway=50.000
sign=1050.000
verify=30.000
ecdh=41.000

[rsa-3072]
tls-full-server=3486.000
tls-full-client=3486.000
tls-resumed-server=50.000
tls-resumed-client=50.000
tls12-full-server=3486.000
tls12-full-client=3486.000
tls12-resumed-server=50.000
tls12-resumed-client=50.000
tls-full-server-oneway=3356.000
tls-full-client-oneway=236.000
tls12-full-server-oneway=3356.000
tls12-full-client-oneway=236.000
tls-resumed-server-oneway=50.000
tls-resumed-client-oneway=50.000
tls12-resumed-server-oneway=50.000
tls12-resumed-client-oneway=50.000
sign=3250.000
verify=65.000
ecdh=41.000

[ecdsa-p256]
tls-full-server=383.000
tls-full-client=383.000
tls-resumed-server=50.000
tls-resumed-client=50.000
tls12-full-server=383.000
tls12-full-client=383.000
tls12-resumed-server=50.000
tls12-resumed-client=50.000
tls-full-server-oneway=179.000
tls-full-client-oneway=347.000
tls12-full-server-oneway=179.000
tls12-full-client-oneway=347.000
tls-resumed-server-oneway=50.000
tls-resumed-client-oneway=50.000
tls12-resumed-server-oneway=50.000
tls12-resumed-client-oneway=50.000
sign=36.000
verify=102.000
ecdh=41.000

[ed25519]
tls-full-server=261.000
tls-full-client=261.000
tls-resumed-server=50.000
tls-resumed-client=50.000
tls12-full-server=261.000
tls12-full-client=261.000
tls12-resumed-server=50.000
tls12-resumed-client=50.000
tls-full-server-oneway=129.000
tls-full-client-oneway=239.000
tls12-full-server-oneway=129.000
tls12-full-client-oneway=239.000
tls-resumed-server-oneway=50.000
tls-resumed-client-oneway=50.000
tls12-resumed-server-oneway=50.000
tls12-resumed-client-oneway=50.000
sign=22.000
verify=66.000
ecdh=41.000
