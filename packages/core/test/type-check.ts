/**
 * Type-checks one test file with the workspace's tsconfig through the TypeScript API, so
 * vitest alone catches a `@ts-expect-error` that no longer fires (or any type error).
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/** The file's type errors as "line: message", empty when it type-checks. */
export function typeErrorsOf(fileUrl: string): string[] {
  const file = fileURLToPath(fileUrl);
  const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
  const config = ts.readConfigFile(join(root, "tsconfig.json"), (path) => ts.sys.readFile(path));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const program = ts.createProgram([file], { ...parsed.options, noEmit: true });
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName === file)
    .map((d) => `${d.start === undefined ? "" : d.file!.getLineAndCharacterOfPosition(d.start).line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
}
