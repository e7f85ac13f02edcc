// mrsynth report: the registry the display-copy scripts fill (data/<page>/<key>.js call mrsynthReport.addVolume),
// loaded before them as a classic script, so that pages work from file:// where fetch() of local files is refused.
'use strict';
window.mrsynthReport = {
  volumes: new Map(),
  addVolume(key, base64) {
    this.volumes.set(key, base64);
  },
  /** The gzip NIfTI bytes of a display copy. */
  bytes(key) {
    const base64 = this.volumes.get(key);
    if (base64 === undefined) throw new Error(`mrsynth report: display copy ${key} did not load`);
    const text = atob(base64);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes.buffer;
  },
};
