"""grpc, as gamehook's server and clients import it: with gRPC's fork
handlers off (GRPC_ENABLE_FORK_SUPPORT=false unless the environment says
otherwise). gamehookd forks a child for every game it launches while
gRPC's threads run, and a process may hold remote games and launch local
ones; with the handlers on, gRPC's post-fork handler in the child can wait
forever on a lock another thread held at the fork (seen here: a local
GameEnv launched beside a RemoteVectorEnv hung in fork; grpc/grpc#22624).
The children exec at once and never use gRPC, so they need no handler.
This is not enough alone: Debian's grpcio 1.51 registers a fork handler
of its core whatever the variable says, and that one hung too (a CI run);
so the launcher never forks its caller (launch.py starts games by vfork,
where no fork handler runs). Set before gRPC first initializes: import gamehook.remote (or server)
before making any gRPC channel of one's own."""
import os

os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

import grpc  # noqa: E402,F401
