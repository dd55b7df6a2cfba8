import { FiberId, FiberRef, FiberRefs, Runtime, RuntimeFlags, Scheduler } from 'effect'

// Runtime settings for the facade's fibers (docs/benchmarks.md, figure 1: one fiber per call is the
// largest cost over raw undici). Neither changes what a program does, only how cheaply it runs.

/** Consecutive microtask drains before one goes through a timer, so the event loop is never starved. */
const MAX_MICROTASK_DRAINS = 2_048

/**
 * One task queue for every fiber, drained in a microtask. Effect's default scheduler (3.20+) keeps a
 * runner per fiber in a `WeakMap` so that each fiber resumes in its own microtask (for
 * `AsyncLocalStorage` isolation): a `WeakMap` entry and a microtask per resumed fiber, which cost more
 * than the request's own parsing at benchmark rates. Our fibers resume from undici's socket callbacks,
 * which carry no caller context anyway, so they lose nothing by sharing a queue.
 */
export class SharedScheduler implements Scheduler.Scheduler {
  private readonly tasks = new Scheduler.PriorityBuckets()
  private running = false
  private depth = 0

  scheduleTask(task: Scheduler.Task, priority: number): void {
    this.tasks.scheduleTask(task, priority)
    if (!this.running) {
      this.running = true
      this.depth = 0
      queueMicrotask(this.drain)
    }
  }

  /** Effect's default rule: yield after `currentMaxOpsBeforeYield` ops (2048 unless a program sets it). */
  shouldYield(fiber: Parameters<Scheduler.Scheduler['shouldYield']>[0]): number | false {
    return Scheduler.defaultShouldYield(fiber)
  }

  private readonly drain = (): void => {
    const buckets = this.tasks.buckets
    this.tasks.buckets = []
    for (const [, tasks] of buckets) for (const task of tasks) task()
    if (this.tasks.buckets.length === 0) {
      this.running = false
    } else if (++this.depth < MAX_MICROTASK_DRAINS) {
      queueMicrotask(this.drain)
    } else {
      this.depth = 0
      setTimeout(this.drain, 0)
    }
  }
}

/**
 * The runtime the facade forks its calls on: `rt` with Effect's fiber metrics off (nothing reads them;
 * they cost a tagged-metric update at every fiber start and end) and a {@link SharedScheduler}.
 */
export function hotRuntime<R>(rt: Runtime.Runtime<R>): Runtime.Runtime<R> {
  return Runtime.make({
    context: rt.context,
    runtimeFlags: RuntimeFlags.disable(rt.runtimeFlags, RuntimeFlags.RuntimeMetrics),
    fiberRefs: FiberRefs.updateAs(rt.fiberRefs, {
      fiberId: FiberId.unsafeMake(),
      fiberRef: FiberRef.currentScheduler,
      value: new SharedScheduler(),
    }),
  })
}
