// Elaboration: runs a model's body at compile time. Blocks are inlined, repeats and loops
// unrolled, expressions evaluated, and every layer's shape inferred through the op
// registry. The result is the model's layer graph plus a side table of facts per source
// call, for the summary and the editor.
//
// After an error the current tensor's shape becomes unknown, and rules that see an unknown
// input stay silent: one mistake gives one message.
//
// The work is split by job, around an explicit state per model (elaborate/state.ts):
// elaborate/interpret.ts runs the compile-time language, elaborate/apply-op.ts applies ops,
// elaborate/structures.ts builds residuals, gates and joins, elaborate/blocks.ts calls
// blocks and elaborate/contracts.ts applies and proves their contracts. This file starts a
// model and sums up its graph.

import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { BlockDecl, Call, ModelDecl } from "../syntax/ast.js";
import type { CallTable, ModelGraph } from "./graph.js";
import { Evaluator, FAILED, Scope, type Value } from "./values.js";
import type { ModuleScope } from "./modules.js";
import { formatLimit, LIMITS } from "../limits.js";
import { LayerEstimate } from "./layer-estimate.js";
import { LimitExceeded, ModelState, newUnrolling, type Env, type Shared } from "./elaborate/state.js";
import { runBody } from "./elaborate/interpret.js";

export class Elaborator {
  /** One evaluator for every model of the compilation; each model's state points its exact divisions at itself. */
  private readonly evaluator: Evaluator;
  private readonly shared: Shared;

  constructor(
    blocks: ReadonlyMap<string, BlockDecl>,
    private readonly sink: DiagnosticSink,
    private readonly calls: CallTable,
    scopes?: ReadonlyMap<BlockDecl | ModelDecl, ModuleScope>,
  ) {
    this.evaluator = new Evaluator(sink);
    /** Names in a single-file compilation, and in any declaration `scopes` does not list. */
    const fileScope: ModuleScope = { blocks, constants: new Scope(), silent: new Set() };
    const scopeOf = (decl: BlockDecl | ModelDecl): ModuleScope => scopes?.get(decl) ?? fileScope;
    this.shared = {
      scopeOf,
      verifiedContracts: new Map(),
      inferredContracts: new Map(),
      statedChannelsHeld: new WeakSet<Call>(),
      layerEstimate: new LayerEstimate((block) => scopeOf(block)),
      runBody,
    };
  }

  elaborate(model: ModelDecl, overrides: ReadonlyMap<string, Value> = new Map(), fixedSizes: ReadonlyMap<string, number> = new Map()): ModelGraph {
    // Everything but what the compilation shares starts afresh, so block call ids are per
    // model and an incremental re-check of one model gives the ids compile() gives.
    const st = new ModelState(this.shared, newUnrolling(fixedSizes), this.sink, this.calls, this.evaluator);
    this.shared.layerEstimate.reset();
    this.sink.context = [];
    const module = this.shared.scopeOf(model);
    const values = new Scope(module.constants);
    for (const param of model.params) {
      const override = overrides.get(param.name.text);
      const value = override ?? (param.default ? this.evaluator.evaluate(param.default, values) : undefined);
      if (value === undefined) {
        if (!param.default) {
          st.report("E0203", param.name.span, `model parameter \`${param.name.text}\` needs a default value`, { help: `write \`${param.name.text} = …\`` });
        }
        st.complete = false;
        // Uses of the parameter stay silent: its one problem is already reported.
        values.define(param.name.text, { value: FAILED, span: param.name.span });
        continue;
      }
      values.define(param.name.text, { value, span: param.name.span });
    }
    const env: Env = { values, tensors: new Map(), context: [], blockPath: [], blockCalls: [], frozen: false, inModel: true, module };
    let inputName = "";
    try {
      st.body(model.body, env);
    } catch (error) {
      if (!(error instanceof LimitExceeded)) throw error;
      st.complete = false;
    }
    this.sink.context = [];
    const input = st.nodes.find((n) => n.op === "input");
    if (input !== undefined) inputName = input.name;
    else if (!st.unrolling.inputSeen) {
      st.report("E0212", model.name.span, `model \`${model.name.text}\` has no input`, { help: "add a line such as `input image: [224, 224, 3]` at the top of its body" });
    }
    const params = { trainable: 0, frozen: 0, nonTrainable: 0, total: 0 };
    let macs = 0;
    for (const node of st.nodes) {
      if (node.frozen) params.frozen += node.params.trainable;
      else params.trainable += node.params.trainable;
      params.nonTrainable += node.params.nonTrainable;
      macs += node.macs;
    }
    params.total = params.trainable + params.frozen + params.nonTrainable;
    if (params.total > LIMITS.params) {
      st.report("E0401", model.name.span, `model \`${model.name.text}\` has ${formatLimit(params.total)} parameters, over the limit of ${formatLimit(LIMITS.params)}`, {
        help: "reduce the widths, the repeat counts, or the size of the first dense layer after flatten",
      });
      st.complete = false;
    }
    const output = env.current;
    const outputKnown = output !== undefined && output.shape !== undefined;
    return {
      name: model.name.text,
      decl: model,
      inputName,
      nodes: st.nodes,
      outputId: outputKnown && st.complete ? output.node : undefined,
      params,
      macs,
      complete: st.complete && outputKnown,
      ...(st.sizes.symbolic ? { sizes: { sets: st.sizes.snapshot(), reasons: [...st.sizes.reasons] } } : {}),
    };
  }
}
