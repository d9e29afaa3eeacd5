# profiles/proxy.profile: the built-in "proxy" cost profile, the default
# ([simulation] cpu-profile = proxy gives the same figures without this
# file).  CPU time of one core in microseconds; [memory] in bytes per open
# connection.  A test checks that this file and the built-in profile agree.
#
# Where the figures come from:
# - [sip]: per SIP message received or sent by a stateful proxy that
#   Record-Routes and tracks dialogs.  Not measured here: chosen so that a
#   one-core server handles about 2,000 calls/s over UDP (490 us per call:
#   INVITE in, ACK and BYE in, 100/180/200/200 out) and so that TLS with a
#   full handshake per transaction costs it 15-25 times UDP, the range of
#   Shen, Nahum, Schulzrinne and Wright, "The Impact of TLS on SIP Server
#   Performance" (IPTComm 2010: up to 17x on OpenSIPS).
# - stream-framing: a stream read and write and Content-Length framing
#   instead of one datagram (Nahum, Tracey and Wright, NOSSDAV 2007, found
#   TCP alone 2-4x dearer on OpenSER of the time; modern stacks much less:
#   here +14% per call).
# - [conn]: connect/accept/close system calls and the kernel's connection
#   set-up, and per TLS record the AEAD set-up plus 0.7 us per KiB
#   (AES-128-GCM with AES-NI); `sipreuse calibrate` measures all of them on
#   your host.
# - [overload] queue-limit: past 200 ms of queued CPU work a node answers
#   new INVITEs 503 with Retry-After (RFC 3261 21.5.4), drops them over UDP
#   (RFC 3261 asks a proxy to send 100 Trying within 200 ms).
# - [memory]: per connection, an idle kernel TCP socket (about 4 KiB), an
#   OpenSSL 3 connection with its default read and write buffers (36 KiB;
#   calibrate measures it) and the proxy's record and 4 KiB read buffer.
# - Key types: whole handshakes per side as a real TLS stack spends them
#   (OpenSSL 3.0 under a Kamailio 5.6 proxy on a 2-core x86-64 host):
#   a full mutual-authentication handshake RSA-2048 4.5 ms server, 3.5 ms
#   client, ECDSA about 1 ms less, resumed 2.0 and 1.5 ms; RSA-3072 adds
#   its dearer signature, Ed25519 is P-256 less its cheaper operations.
#   Without a client certificate (*-oneway) the server skips the client
#   chain's two verifications and the client its signature.  sign, verify
#   and ecdh are the bare operations (`openssl speed`), kept for reference.

[profile]
base=proxy

[sip]
invite=150.000
request=70.000
response=50.000
stream-framing=10.000

[conn]
connect=30.000
accept=30.000
close=15.000
tls-record=4.000
tls-aead-per-kib=0.700

[overload]
queue-limit=200000.000

[memory]
socket=4096
tls=36864
proxy=4608

[rsa-2048]
tls-full-server=4500.000
tls-full-client=3500.000
tls-resumed-server=2000.000
tls-resumed-client=1500.000
tls12-full-server=4500.000
tls12-full-client=3500.000
tls12-resumed-server=2000.000
tls12-resumed-client=1500.000
tls-full-server-oneway=4440.000
tls-full-client-oneway=2450.000
tls12-full-server-oneway=4440.000
tls12-full-client-oneway=2450.000
sign=1050.000
verify=30.000
ecdh=41.000

[rsa-3072]
tls-full-server=6700.000
tls-full-client=5700.000
tls-resumed-server=2000.000
tls-resumed-client=1500.000
tls12-full-server=6700.000
tls12-full-client=5700.000
tls12-resumed-server=2000.000
tls12-resumed-client=1500.000
tls-full-server-oneway=6570.000
tls-full-client-oneway=2450.000
tls12-full-server-oneway=6570.000
tls12-full-client-oneway=2450.000
sign=3250.000
verify=65.000
ecdh=41.000

[ecdsa-p256]
tls-full-server=3500.000
tls-full-client=2500.000
tls-resumed-server=2000.000
tls-resumed-client=1500.000
tls12-full-server=3500.000
tls12-full-client=2500.000
tls12-resumed-server=2000.000
tls12-resumed-client=1500.000
tls-full-server-oneway=3296.000
tls-full-client-oneway=2464.000
tls12-full-server-oneway=3296.000
tls12-full-client-oneway=2464.000
sign=36.000
verify=102.000
ecdh=41.000

[ed25519]
tls-full-server=3400.000
tls-full-client=2400.000
tls-resumed-server=2000.000
tls-resumed-client=1500.000
tls12-full-server=3400.000
tls12-full-client=2400.000
tls12-resumed-server=2000.000
tls12-resumed-client=1500.000
tls-full-server-oneway=3268.000
tls-full-client-oneway=2378.000
tls12-full-server-oneway=3268.000
tls12-full-client-oneway=2378.000
sign=22.000
verify=66.000
ecdh=41.000
