// @serialport/binding-mock ships its types (dist/index.d.ts) but its package.json "exports" has no "types"
// condition, so NodeNext resolution cannot find them. The part linked-pair.ts uses, as that file declares it.
declare module '@serialport/binding-mock' {
  import type { SerialPortStream } from '@serialport/stream';
  type Binding = ConstructorParameters<typeof SerialPortStream>[0]['binding'];
  type OpenOptions = Parameters<Binding['open']>[0];
  type PortInfo = Awaited<ReturnType<Binding['list']>>[number];
  export interface MockPortBinding extends Awaited<ReturnType<Binding['open']>> {
    readonly isOpen: boolean;
    /** Hand bytes to this port as if they had arrived on the line. */
    emitData(data: Buffer | string): void;
    write(buffer: Buffer): Promise<void>;
    close(): Promise<void>;
  }
  export const MockBinding: {
    createPort(path: string, opt?: { echo?: boolean; record?: boolean; vendorId?: string; productId?: string; maxReadSize?: number }): void;
    reset(): void;
    list(): Promise<PortInfo[]>;
    open(options: OpenOptions): Promise<MockPortBinding>;
  };
}
