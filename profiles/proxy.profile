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
#   set-up (calibrate: connect 25-31 us, accept 4-5 us, close 12-15 us;
#   accept adds the proxy's hand-off of the socket to a worker), and per
#   TLS record 4 us (calibrate: 0.9-1.4 us in memory; a proxy also reads
#   headers and copies text) plus 0.5 us per KiB (AES-256-GCM).
# - [overload] queue-limit: past 200 ms of queued CPU work a node answers
#   new INVITEs 503 with Retry-After (RFC 3261 21.5.4), drops them over UDP
#   (RFC 3261 asks a proxy to send 100 Trying within 200 ms).
# - [memory]: per connection, an idle kernel TCP socket (about 4 KiB), an
#   OpenSSL 3 connection with its default read and write buffers (56 KiB,
#   measured by calibrate) and the proxy's record and 4 KiB read buffer.
# - Key types: whole handshakes per side as a real TLS stack spends them
#   (OpenSSL 3.0 under a Kamailio 5.6 proxy on a 2-core x86-64 host):
#   a full mutual-authentication handshake RSA-2048 4.5 ms server, 3.5 ms
#   client, ECDSA about 1 ms less, resumed 2.0 and 1.5 ms; RSA-3072 adds
#   its dearer signature, Ed25519 is P-256 less its cheaper operations.
#   Without a client certificate (*-oneway): the shares of the mutual
#   figure calibrate measured (P-256: server 29%, client 92%; RSA-2048:
#   52%, 54%; RSA-3072: 70%, 29%; Ed25519: 29%, 89%); resuming a session
#   that had no client certificate costs the server 44% of a resumption
#   after mutual authentication (its ticket carries no client chain to
#   decode), the client the same.  sign, verify
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
tls-aead-per-kib=0.500

[overload]
queue-limit=200000.000

[memory]
socket=4096
tls=57344
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
tls-full-server-oneway=2340.000
tls-full-client-oneway=1890.000
tls12-full-server-oneway=2340.000
tls12-full-client-oneway=1890.000
tls-resumed-server-oneway=880.000
tls-resumed-client-oneway=1500.000
tls12-resumed-server-oneway=880.000
tls12-resumed-client-oneway=1500.000
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
tls-full-server-oneway=4690.000
tls-full-client-oneway=1653.000
tls12-full-server-oneway=4690.000
tls12-full-client-oneway=1653.000
tls-resumed-server-oneway=880.000
tls-resumed-client-oneway=1500.000
tls12-resumed-server-oneway=880.000
tls12-resumed-client-oneway=1500.000
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
tls-full-server-oneway=1015.000
tls-full-client-oneway=2300.000
tls12-full-server-oneway=1015.000
tls12-full-client-oneway=2300.000
tls-resumed-server-oneway=880.000
tls-resumed-client-oneway=1500.000
tls12-resumed-server-oneway=880.000
tls12-resumed-client-oneway=1500.000
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
tls-full-server-oneway=986.000
tls-full-client-oneway=2136.000
tls12-full-server-oneway=986.000
tls12-full-client-oneway=2136.000
tls-resumed-server-oneway=880.000
tls-resumed-client-oneway=1500.000
tls12-resumed-server-oneway=880.000
tls12-resumed-client-oneway=1500.000
sign=22.000
verify=66.000
ecdh=41.000
