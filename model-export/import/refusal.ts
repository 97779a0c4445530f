/**
 * Why the importer refuses a model. Every refusal names what it is about (a tensor, an operator,
 * the file, a vocabulary field), says what is wrong and what to change, so the message alone is
 * enough to fix the export.
 */

/** What a refusal is about. */
export type RefusalSubject = 'tensor' | 'operator' | 'file' | 'vocab' | 'graph' | 'option';

export class ImportRefusal extends Error {
  constructor(
    readonly subject: RefusalSubject,
    /** The tensor, operator, file or field name. */
    readonly subjectName: string,
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`${subject} "${subjectName}": ${problem}. Fix: ${fix}`);
    this.name = new.target.name;
  }
}

/** A graph input or output that does not follow the serving signature (name, dtype, axes). */
export class SignatureRefusal extends ImportRefusal {
  constructor(tensor: string, problem: string, fix: string) {
    super('tensor', tensor, problem, fix);
  }
  get tensor(): string {
    return this.subjectName;
  }
}

/** An operator onnxruntime-web's wasm build cannot run, or that the serving path does not allow. */
export class OperatorRefusal extends ImportRefusal {
  constructor(operator: string, problem: string, fix: string) {
    super('operator', operator, problem, fix);
  }
  get operator(): string {
    return this.subjectName;
  }
}

/** The ONNX file itself: unreadable, over the Workers asset limit, an opset or IR version out of range. */
export class FileRefusal extends ImportRefusal {
  constructor(file: string, problem: string, fix: string) {
    super('file', file, problem, fix);
  }
}

/** An output that should be a probability and is not (outside [0, 1], NaN or infinite). */
export class ProbabilityRefusal extends ImportRefusal {
  constructor(
    tensor: string,
    readonly min: number,
    readonly max: number,
    problem: string,
    fix: string,
  ) {
    super('tensor', tensor, problem, fix);
  }
  get tensor(): string {
    return this.subjectName;
  }
}

/** A vocabulary file field that is malformed or disagrees with the graph (embedding table sizes). */
export class VocabRefusal extends ImportRefusal {
  constructor(field: string, problem: string, fix: string) {
    super('vocab', field, problem, fix);
  }
  get field(): string {
    return this.subjectName;
  }
}

/** The graph fails when run (a shape it cannot take, a kernel error): named by the runtime's message. */
export class RunRefusal extends ImportRefusal {
  constructor(what: string, problem: string, fix: string) {
    super('graph', what, problem, fix);
  }
}

/** A command-line option the manifest cannot take (e.g. a --name that is not a model name). */
export class OptionRefusal extends ImportRefusal {
  constructor(option: string, problem: string, fix: string) {
    super('option', option, problem, fix);
  }
}
