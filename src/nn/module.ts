/**
 * `Module`: the base of every layer and model. A module owns named parameters, buffers and submodules,
 * registered explicitly, and derives from them everything PyTorch's nn.Module derives: recursive
 * train/eval, parameter lists, state dicts with PyTorch's key names (`block.0.conv.weight`), strict
 * loading, gradient reset, device moves and disposal. Because the keys and tree walk follow PyTorch, a
 * state dict saved by a PyTorch model of the same structure loads here and vice versa.
 */
import { DTYPES, type DType, Device, Tensor, dispose, isFloatingPoint, keep, noGrad } from '../tensor/index.js';
import { assert, fmtShape } from '../util/index.js';
import { sameShape } from '../util/index.js';

export interface LoadStateDictOptions {
  /** Refuse missing and unexpected keys (default true). Shape mismatches are refused either way. */
  strict?: boolean;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

type Slot = 'parameter' | 'buffer' | 'module';

export class Module {
  /** Whether the module is in training mode (dropout active); set recursively by `train()` / `eval()`. */
  training = true;
  readonly #parameters = new Map<string, Tensor | null>();
  readonly #buffers = new Map<string, Tensor | null>();
  readonly #modules = new Map<string, Module>();

  // ---------------------------------------------------------------- registration

  /**
   * Adopts `tensor` as the parameter `name`: it is kept out of memory scopes (the module owns it from now on)
   * and, if floating point, requires gradients. `null` registers an absent parameter (PyTorch's `bias=None`),
   * which appears in no list and no state dict. Returns the tensor.
   */
  registerParameter<T extends Tensor | null>(name: string, tensor: T): T {
    this.#checkName('registerParameter', name);
    if (tensor !== null) {
      assert(isFloatingPoint(tensor.dtype),
        () => `Module.registerParameter: parameter '${name}' must be floating point to take gradients, got ${tensor.dtype}`);
      if (!tensor.requiresGrad) tensor.requiresGrad_(true);
      keep(tensor);
    }
    this.#parameters.set(name, tensor);
    return tensor;
  }

  /** Adopts `tensor` as state that is saved and moved with the module but never trained (running statistics, tables). */
  registerBuffer<T extends Tensor | null>(name: string, tensor: T): T {
    this.#checkName('registerBuffer', name);
    if (tensor !== null) keep(tensor);
    this.#buffers.set(name, tensor);
    return tensor;
  }

  registerModule<M extends Module>(name: string, module: M): M {
    this.#checkName('registerModule', name);
    assert(module instanceof Module, () => `Module.registerModule: '${name}' must be a Module, got ${String(module)}`);
    assert((module as Module) !== this, () => `Module.registerModule: a module cannot contain itself (as '${name}')`);
    this.#modules.set(name, module);
    return module;
  }

  #checkName(fn: string, name: string): void {
    assert(typeof name === 'string' && name.length > 0 && !name.includes('.'),
      () => `Module.${fn}: name must be a non-empty string without '.', got ${JSON.stringify(name)}`);
    const taken = this.#slotOf(name);
    assert(taken === undefined, () => `Module.${fn}: '${name}' is already registered as a ${taken}`);
  }

  #slotOf(name: string): Slot | undefined {
    if (this.#parameters.has(name)) return 'parameter';
    if (this.#buffers.has(name)) return 'buffer';
    if (this.#modules.has(name)) return 'module';
    return undefined;
  }

  /** The registered parameter `name` of this module (not of submodules); throws if it is absent. */
  protected parameter(name: string): Tensor {
    const tensor = this.#parameters.get(name);
    assert(tensor, () => `${this.constructor.name}: no parameter '${name}'${this.#parameters.has(name) ? ' (registered as absent)' : ''}`);
    return tensor;
  }

  /** The registered parameter `name`, or null when it was registered as absent. */
  protected optionalParameter(name: string): Tensor | null {
    assert(this.#parameters.has(name), () => `${this.constructor.name}: no parameter '${name}'`);
    return this.#parameters.get(name) ?? null;
  }

  protected buffer(name: string): Tensor {
    const tensor = this.#buffers.get(name);
    assert(tensor, () => `${this.constructor.name}: no buffer '${name}'`);
    return tensor;
  }

  // ---------------------------------------------------------------- walking the tree

  /** Direct submodules in registration order. */
  namedChildren(): [string, Module][] {
    return [...this.#modules];
  }

  /** This module and every submodule, depth first, each once, with its dotted path ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const seen = new Set<Module>();
    const out: [string, Module][] = [];
    const visit = (module: Module, path: string) => {
      if (seen.has(module)) return;
      seen.add(module);
      out.push([path, module]);
      for (const [name, child] of module.#modules) visit(child, path === '' ? name : `${path}.${name}`);
    };
    visit(this, prefix);
    return out;
  }

  /**
   * Parameters with their state-dict names: each module's own parameters first, then its submodules' in
   * registration order (PyTorch's order). A tensor shared by two modules is listed once, under its first name.
   */
  namedParameters(): [string, Tensor][] {
    return this.#namedTensors((m) => m.#parameters);
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  namedBuffers(): [string, Tensor][] {
    return this.#namedTensors((m) => m.#buffers);
  }

  #namedTensors(table: (m: Module) => Map<string, Tensor | null>): [string, Tensor][] {
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    for (const [path, module] of this.namedModules()) {
      for (const [name, tensor] of table(module)) {
        if (tensor === null || seen.has(tensor)) continue;
        seen.add(tensor);
        out.push([path === '' ? name : `${path}.${name}`, tensor]);
      }
    }
    return out;
  }

  /** Number of trainable values (elements of all parameters, shared ones counted once). */
  numParameters(): number {
    return this.parameters().reduce((sum, p) => sum + p.numel, 0);
  }

  // ---------------------------------------------------------------- modes and gradients

  /** Sets training mode on this module and every submodule; returns this. */
  train(mode = true): this {
    for (const [, module] of this.namedModules()) module.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /**
   * Drops every parameter's gradient, so the next backward pass starts from nothing. Setting to null
   * rather than zero-filling (PyTorch 2's default) frees the memory and lets the optimiser skip
   * parameters that took no part in the loss.
   */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  // ---------------------------------------------------------------- state dicts

  /**
   * Every parameter and buffer under its PyTorch key, in PyTorch's order. The values are new handles on the
   * module's storage, detached from autograd: they are the caller's to dispose (or to leave to a `tidy`),
   * and writing into them writes into the module.
   */
  stateDict(): Record<string, Tensor> {
    const dict: Record<string, Tensor> = {};
    for (const [path, module] of this.namedModules()) {
      for (const table of [module.#parameters, module.#buffers]) {
        for (const [name, tensor] of table) {
          if (tensor !== null) dict[path === '' ? name : `${path}.${name}`] = tensor.detach();
        }
      }
    }
    return dict;
  }

  /**
   * Copies values from `dict` into the module's own tensors (so optimisers and EMA that hold them stay
   * valid), converting dtype and device as needed. All keys and shapes are checked before anything is
   * written: a refused load leaves the module unchanged. The dict's tensors stay the caller's.
   */
  loadStateDict(dict: Readonly<Record<string, Tensor>>, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const strict = options.strict ?? true;
    const own = new Map<string, Tensor>();
    for (const [path, module] of this.namedModules()) {
      for (const table of [module.#parameters, module.#buffers]) {
        for (const [name, tensor] of table) if (tensor !== null) own.set(path === '' ? name : `${path}.${name}`, tensor);
      }
    }
    const missingKeys = [...own.keys()].filter((k) => !Object.hasOwn(dict, k));
    const unexpectedKeys = Object.keys(dict).filter((k) => !own.has(k));
    const mismatches: string[] = [];
    for (const [key, target] of own) {
      const source = dict[key];
      if (Object.hasOwn(dict, key) && !sameShape(source.shape, target.shape)) {
        mismatches.push(`${key}: checkpoint ${fmtShape(source.shape)} vs module ${fmtShape(target.shape)}`);
      }
    }
    const problems: string[] = [];
    if (strict && missingKeys.length > 0) problems.push(`missing keys (${missingKeys.length}): ${missingKeys.join(', ')}`);
    if (strict && unexpectedKeys.length > 0) problems.push(`unexpected keys (${unexpectedKeys.length}): ${unexpectedKeys.join(', ')}`);
    if (mismatches.length > 0) problems.push(`shape mismatches (${mismatches.length}): ${mismatches.join('; ')}`);
    assert(problems.length === 0, () => `${this.constructor.name}.loadStateDict: ${problems.join('\n  ')}`);

    noGrad(() => {
      for (const [key, target] of own) if (Object.hasOwn(dict, key)) target.copy_(dict[key]);
    });
    return { missingKeys, unexpectedKeys };
  }

  // ---------------------------------------------------------------- devices and lifetime

  /**
   * Moves every parameter and buffer to `device`, or converts the floating-point ones to `dtype` (integer
   * buffers keep theirs, as in PyTorch). Tensors already there are left alone; converted ones are new
   * tensors (the old ones are freed), so optimisers and EMA must be created after the move. Gradients are
   * dropped. Returns this.
   */
  to(target: Device | DType): this {
    const isDtype = (DTYPES as readonly string[]).includes(target);
    for (const [, module] of this.namedModules()) {
      for (const table of [module.#parameters, module.#buffers]) {
        for (const [name, tensor] of table) {
          if (tensor === null) continue;
          if (isDtype ? tensor.dtype === target || !isFloatingPoint(tensor.dtype) : sameDevice(tensor.device, target as Device)) continue;
          const moved = keep(noGrad(() => tensor.to(target)));
          if (tensor.requiresGrad) moved.requiresGrad_(true);
          table.set(name, moved);
          tensor.dispose();
        }
      }
    }
    return this;
  }

  /** Frees every parameter and buffer of this module and its submodules; the module is unusable afterwards. */
  dispose(): void {
    for (const [, module] of this.namedModules()) {
      dispose([...module.#parameters.values(), ...module.#buffers.values()]);
    }
  }
}

/** 'cuda' means the current CUDA device, which libtorch reports as 'cuda:0' in a single-device process. */
function sameDevice(actual: string, wanted: Device): boolean {
  return actual === wanted || (wanted === 'cuda' && actual === 'cuda:0');
}
