// The pause container's image, made by the server itself: no registry and no compiler is needed on a node.

/** The image every pod's pause container runs; imported on first use. */
export const PAUSE_IMAGE = "cube/pause:1";

const LOAD_ADDRESS = 0x400000n;
const HEADERS_SIZE = 64 + 56;

/** Machine code that waits forever, per Docker architecture name. */
const WAIT_FOREVER: Record<string, { machine: number; code: Buffer }> = {
  // loop: mov eax, 34 (pause); syscall; jmp loop
  x86_64: { machine: 62, code: Buffer.from([0xb8, 0x22, 0, 0, 0, 0x0f, 0x05, 0xeb, 0xf7]) },
  // arm64 has no pause system call: loop: ppoll(NULL, 0, NULL, NULL) (number 73); b loop
  aarch64: {
    machine: 183,
    code: Buffer.concat(
      [0xd2800928, 0xd2800000, 0xd2800001, 0xd2800002, 0xd2800003, 0xd4000001, 0x17fffffa].map((word) => {
        const bytes = Buffer.alloc(4);
        bytes.writeUInt32LE(word);
        return bytes;
      }),
    ),
  },
};

/** Maps Docker's `Architecture` (from `docker info`) to the names above. */
export function normalizeArchitecture(architecture: string): string {
  return ({ amd64: "x86_64", x86_64: "x86_64", arm64: "aarch64", aarch64: "aarch64" } as Record<string, string>)[architecture] ?? architecture;
}

/** A minimal static ELF executable (one PT_LOAD segment, no sections) that waits forever. */
export function pauseProgram(architecture: string): Buffer {
  const program = WAIT_FOREVER[normalizeArchitecture(architecture)];
  if (!program) throw new Error(`no pause program for the architecture ${architecture}`);
  const size = HEADERS_SIZE + program.code.length;
  const elf = Buffer.alloc(size);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]).copy(elf, 0); // magic, 64-bit, little-endian, version 1, System V
  elf.writeUInt16LE(2, 16); // ET_EXEC
  elf.writeUInt16LE(program.machine, 18);
  elf.writeUInt32LE(1, 20); // EV_CURRENT
  elf.writeBigUInt64LE(LOAD_ADDRESS + BigInt(HEADERS_SIZE), 24); // entry point: right after the headers
  elf.writeBigUInt64LE(64n, 32); // program headers follow the ELF header
  elf.writeUInt16LE(64, 52); // ELF header size
  elf.writeUInt16LE(56, 54); // program header size
  elf.writeUInt16LE(1, 56); // one program header
  elf.writeUInt32LE(1, 64); // PT_LOAD
  elf.writeUInt32LE(5, 68); // readable, executable
  elf.writeBigUInt64LE(0n, 72); // from the file's start
  elf.writeBigUInt64LE(LOAD_ADDRESS, 80);
  elf.writeBigUInt64LE(LOAD_ADDRESS, 88);
  elf.writeBigUInt64LE(BigInt(size), 96);
  elf.writeBigUInt64LE(BigInt(size), 104);
  elf.writeBigUInt64LE(0x1000n, 112);
  program.code.copy(elf, HEADERS_SIZE);
  return elf;
}

/** A tar archive (ustar) holding one executable file. */
export function singleFileTar(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  const field = (value: string, offset: number, length: number) => header.write(value, offset, length, "ascii");
  const octal = (value: number, length: number) => value.toString(8).padStart(length - 1, "0");
  field(name, 0, 100);
  field(octal(0o755, 8), 100, 8);
  field(octal(0, 8), 108, 8);
  field(octal(0, 8), 116, 8);
  field(octal(content.length, 12), 124, 12);
  field(octal(0, 12), 136, 12);
  field("        ", 148, 8); // checksum is computed with this field as spaces
  field("0", 156, 1);
  field("ustar\u000000", 257, 8);
  const checksum = header.reduce((sum, byte) => sum + byte, 0);
  field(`${octal(checksum, 7)}\u0000`, 148, 8);
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)]);
}
