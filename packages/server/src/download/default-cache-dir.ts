// Lives in @rein/protocol since the SDK needs it too (the P2P client's key file), without depending on the server.
export { defaultCacheDir, type CacheDirContext } from "@rein/protocol";
