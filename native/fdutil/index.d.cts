// Types of fdutil.node as loaded by index.cjs (see fdutil.c).
declare const fdutil: {
  /** A new descriptor (close-on-exec) for the same open file; throws an Error whose code is the errno name. */
  dup(fd: number): number;
};
export = fdutil;
