/**
 * Gathers what concurrent callers submit in one turn of the event loop into one call per group (a
 * table, a queue): a batch consumer's records, worked side by side, share one request where each would
 * have made its own. The first submission of a group schedules its flush after the turn (setImmediate),
 * so every caller of the turn is in it; a submission after the flush has started waits for the next.
 * `flush` gets the group's inputs in submission order and returns one result per input, in that order;
 * each caller gets its own. When `flush` throws, every caller of that group's turn rejects.
 */
interface Turn<I, O> {
  inputs: I[];
  callers: { resolve: (output: O) => void; reject: (error: unknown) => void }[];
}

export class TurnBatcher<I, O> {
  private readonly waiting = new Map<string, Turn<I, O>>();

  constructor(private readonly flush: (group: string, inputs: readonly I[]) => Promise<readonly O[]>) {}

  submit(group: string, input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      let turn = this.waiting.get(group);
      if (turn === undefined) {
        turn = { inputs: [], callers: [] };
        this.waiting.set(group, turn);
        setImmediate(() => void this.run(group));
      }
      turn.inputs.push(input);
      turn.callers.push({ resolve, reject });
    });
  }

  private async run(group: string): Promise<void> {
    const turn = this.waiting.get(group);
    this.waiting.delete(group);
    if (turn === undefined) return;
    try {
      const outputs = await this.flush(group, turn.inputs);
      for (let i = 0; i < turn.callers.length; i++) turn.callers[i]?.resolve(outputs[i] as O);
    } catch (error) {
      for (const c of turn.callers) c.reject(error);
    }
  }
}
