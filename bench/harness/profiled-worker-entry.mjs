// A worker entry for profiling (bench/profile-hot-path.ts): runs @rein/server's built entry under the inspector's
// CPU profiler and writes the profile to $REIN_PROFILE_DIR/worker-<pid>.cpuprofile when the worker exits.
// (`--cpu-prof` cannot be passed through NODE_OPTIONS, and the SDK spawns the worker itself.)
import { writeFileSync } from "node:fs";
import inspector from "node:inspector";
import path from "node:path";

const directory = process.env.REIN_PROFILE_DIR ?? ".";
const session = new inspector.Session();
session.connect();
session.post("Profiler.enable");
session.post("Profiler.setSamplingInterval", { interval: 100 });
session.post("Profiler.start");
const exit = process.exit.bind(process);
// The worker leaves through process.exit when its pipe closes; a same-thread session answers synchronously.
process.exit = (code) => {
  session.post("Profiler.stop", (error, result) => {
    if (!error) writeFileSync(path.join(directory, `worker-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    exit(code);
  });
};
await import("@rein/server/worker-entry");
