/**
 * An operation lists its workflow's steps from the start (workflows/names.ts
 * `workflowSteps`); this holds that list to the state machine that ships: walking each
 * rendered definition from StartAt finds the same step Lambda calls in the same order.
 */
import { describe, expect, it } from 'vitest';
import { workflowSteps } from '#workflows/names.ts';
import { workflowDefinitions } from '#workflows/registry.ts';
import { renderDefinition, type AslDefinition } from '#workflows/render.ts';

/** The step Lambda calls a run reaches, in the order it first reaches them (the failure path aside). */
function stepsInOrder(definition: AslDefinition): string[] {
  const seen = new Set<string>();
  const steps: string[] = [];
  const visit = (name: string | undefined) => {
    if (!name || seen.has(name)) return;
    seen.add(name);
    const state = definition.States[name]!;
    const step = (state.Parameters as { step?: string } | undefined)?.step;
    if (state.Type === 'Task' && step && step !== 'markError' && !steps.includes(step)) steps.push(step);
    visit(state.Next as string | undefined);
    for (const choice of (state.Choices as Array<{ Next: string }> | undefined) ?? []) visit(choice.Next);
    visit(state.Default as string | undefined);
  };
  visit(definition.StartAt);
  return steps;
}

describe('workflow steps', () => {
  it('every workflow in the registry has its steps listed, and nothing else is listed', () => {
    expect(Object.keys(workflowSteps).sort()).toEqual(workflowDefinitions.map((w) => w.name).sort());
  });

  for (const workflow of workflowDefinitions) {
    it(`${workflow.name} runs the steps its operations list, in that order`, () => {
      expect(stepsInOrder(renderDefinition(workflow))).toEqual(workflowSteps[workflow.name]);
    });
  }
});
