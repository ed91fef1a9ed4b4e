// fhirclient@2.6.3 depends on isomorphic-webcrypto, whose optional react-native/expo dependencies weigh 376 MB.
// Only fhirclient's browser security module uses it; Node 20 has WebCrypto built in, so the shim hands that out.
module.exports = globalThis.crypto;
