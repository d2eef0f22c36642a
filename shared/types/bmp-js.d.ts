declare module 'bmp-js' {
  interface BmpData {
    width: number;
    height: number;
    data: Buffer;
  }
  const bmp: { decode(buffer: Buffer): BmpData; encode(data: BmpData): { data: Buffer } };
  export default bmp;
}
