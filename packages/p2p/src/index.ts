export { connectToPeer, type ConnectToPeerOptions } from "./connect-to-peer.ts";
export { destroyPeerClients } from "./client-nodes.ts";
export { formatPublicKey, loadOrCreateKeyPair, parsePublicKey, type PeerKeyPair } from "./key-pair.ts";
export { PeerStream } from "./peer-stream.ts";
export { servePeer, type PeerHost, type ServedPeer, type ServePeerOptions } from "./serve-peer.ts";
export { encodeHello, exchangeHello, HELLO_VERSION, type HelloOutcome, type HelloRole } from "./transport-hello.ts";
