import { chaosSettingsFrom, queuedFaultFrom } from './faults';
import type { LocalReply } from './identity';
import { type Behaviour, type EmulatorRuntime, resetRuntime } from './runtime';
import { emptyStats, snapshotOf } from './stats';
import { throttlingSettingsFrom } from './throttling';

/** One call of the control surface: the JSON body (an empty object when none) to an answer. */
type ControlHandler = (runtime: EmulatorRuntime, body: Record<string, unknown>) => LocalReply;

const done: LocalReply = { status: 204 };

/**
 * The control surface, as a table of `METHOD /path` to handler: for tests, benchmarks and people
 * trying things by hand. A bad body throws; the server answers 400 with the message.
 */
export const CONTROL_ROUTES: Readonly<Record<string, ControlHandler>> = {
  'POST /_emulator/reset': (runtime) => (resetRuntime(runtime), done),
  'POST /_emulator/seed': (runtime, body) => (runtime.state.seed(body), done),
  'GET /_emulator/roles': (runtime) => ({ status: 200, body: { roles: runtime.roles } }),
  'PUT /_emulator/roles': (runtime, body) => {
    runtime.roles = Array.isArray(body.roles) ? body.roles.map(String) : [];
    return done;
  },
  'GET /_emulator/intune-roles': (runtime) => ({
    status: 200,
    body: { usersWithoutRole: [...runtime.usersWithoutIntuneRole] },
  }),
  // Users whose Intune role allows nothing (`{"usersWithoutRole": ["<object id>"]}`): Graph refuses their delegated calls.
  'PUT /_emulator/intune-roles': (runtime, body) => {
    runtime.usersWithoutIntuneRole = new Set(Array.isArray(body.usersWithoutRole) ? body.usersWithoutRole.map(String) : []);
    return done;
  },
  'GET /_emulator/behaviour': (runtime) => ({ status: 200, body: runtime.behaviour }),
  'PUT /_emulator/behaviour': (runtime, body) => {
    // Only the switches named change; each must be a boolean.
    for (const [name, value] of Object.entries(body)) {
      if (!(name in runtime.behaviour) || typeof value !== 'boolean')
        throw new RangeError(
          `behaviour: ${name} is not a switch (${Object.keys(runtime.behaviour).join(', ')}), or not true or false`,
        );
    }
    runtime.behaviour = { ...runtime.behaviour, ...(body as Partial<Behaviour>) };
    return { status: 200, body: runtime.behaviour };
  },
  'POST /_emulator/faults': (runtime, body) => (runtime.faults.push(queuedFaultFrom(body)), done),
  'DELETE /_emulator/faults': (runtime) => ((runtime.faults.length = 0), done),
  'GET /_emulator/throttling': (runtime) => ({ status: 200, body: runtime.throttling.current }),
  'PUT /_emulator/throttling': (runtime, body) => {
    runtime.throttling.configure(throttlingSettingsFrom(body));
    return { status: 200, body: runtime.throttling.current };
  },
  'GET /_emulator/chaos': (runtime) => ({ status: 200, body: runtime.chaos.current }),
  'PUT /_emulator/chaos': (runtime, body) => {
    runtime.chaos.configure(chaosSettingsFrom(body));
    return { status: 200, body: runtime.chaos.current };
  },
  'GET /_emulator/stats': (runtime) => ({ status: 200, body: snapshotOf(runtime.stats) }),
  'DELETE /_emulator/stats': (runtime) => {
    runtime.stats = emptyStats();
    return done;
  },
  'GET /_emulator/requests': (runtime) => ({ status: 200, body: { requests: runtime.requests } }),
  'DELETE /_emulator/requests': (runtime) => ((runtime.requests.length = 0), done),
};
