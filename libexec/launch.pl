# The process of every holdfast pane, where perl is installed (libexec/launch.sh is the fallback
# without it, and says the same steps in bash). One process start instead of bash, a setsid shell
# and perl: a restart's new task runs about 10 ms sooner (docs/architecture.md, "Launching a run").
#
# It gives the task the environment of the `holdfast run` that created it, read from a 0600 file
# so that no value (API keys…) is ever in argv; enters the task's directory; starts the task as a
# child; waits for it; waits for tmux to have read all it wrote; and ends as the task ended.
#
# usage: perl launch.pl DIR ENV_FILE STDIN_FILE UMASK [NAME=VALUE...] -- COMMAND [ARG...]
#   DIR         the working directory. It comes as an argument because tmux expands formats in
#               `-c` (`#(…)` runs a command there), not in a pane's command arguments
#   ENV_FILE    NUL-separated NAME=VALUE entries
#   STDIN_FILE  a file to feed on stdin (an agent's prompt), or - to keep the terminal
#   UMASK       the creator's umask (holdfast itself runs with 077, the task should not)
#   NAME=VALUE  holdfast's own variables for this run (HOLDFAST_TASK, HOLDFAST_RUN, …): never secrets
#
# Why a child and not exec: when a pane's own process exits, tmux reads what the pty holds and
# closes it, and bytes the task wrote just before exiting can still be on their way through the
# kernel (docs/architecture.md, "The last bytes of a run"). Why perl and not the shell: a shell
# reports a task killed by SIGKILL and one that ran `exit 137` alike; waitpid tells them apart, and
# perl-base is part of every Debian system.
use strict;
# EINTR is 4 wherever holdfast runs (Linux, the BSDs, macOS); `$!{EINTR}` would load Errno.pm.
sub EINTR () { 4 }
# No `use warnings` and no module before the task starts: each costs a restart about a millisecond
# here (warnings.pm 1.5 ms). Fcntl is loaded once the task runs, for the events file; POSIX would
# add 1.5 MB and 10 ms to each pane.

my ($dir, $env_file, $stdin_file, $umask) = splice(@ARGV, 0, 4);
die "holdfast: launch.pl: usage: DIR ENV_FILE STDIN_FILE UMASK [NAME=VALUE...] -- COMMAND\n"
  unless defined $umask && $umask =~ /^[0-7]{1,4}$/;
umask oct $umask;

# Only the pane's own terminal variables stay of what the tmux server's environment put here.
for my $name (keys %ENV) {
  delete $ENV{$name} unless $name eq 'TERM' || $name eq 'TMUX' || $name eq 'TMUX_PANE';
}
# As bash's `export "NAME=VALUE"` takes them: the value as text, and an entry whose name is not a
# plain identifier (an exported bash function) skipped.
sub set_env {
  my ($entry) = @_;
  $ENV{$1} = $2 if $entry =~ /\A([A-Za-z_][A-Za-z0-9_]*)=(.*)\z/s;
}
if (open(my $fh, '<', $env_file)) {
  local $/ = "\0";
  while (my $entry = <$fh>) {
    chomp $entry;
    set_env($entry);
  }
  close($fh);
}
set_env(shift @ARGV) while @ARGV && $ARGV[0] ne '--';
shift @ARGV;
die "holdfast: launch.pl: no command\n" unless @ARGV;

# After the environment, so PWD names this directory, not the creator's. A directory that has gone
# is an error, not a run somewhere else; the line is drained to the log before the pane ends (a
# bare exit can end the pane before tmux has read it, under load).
unless (chdir $dir) {
  chdir '/';
  print STDERR "holdfast: cannot enter the working directory $dir\n";
  drain_terminal();
  exit 1;
}
$ENV{PWD} = $dir;

# Handlers, not ignores: a stop signals the whole process group, and this process must live until
# the task has gone. exec resets handlers to the default, so the task gets the signals as ever.
# Not SIGHUP: the kernel sends a hangup (a killed session or server) to this process alone, as the
# session's leader, and passes it on to the task's process group only when this process exits.
$SIG{$_} = sub { } for qw(INT QUIT TERM);

my $server = getppid();
# The reap watcher's pipe (start_reap_watcher says why), made before the task so that the task and
# all it starts hold the write end: $^F above them keeps both ends open across exec.
my ($reap_read, $reap_write);
{
  local $^F = 1023;
  pipe($reap_read, $reap_write) or ($reap_read, $reap_write) = ();
}

my $task = fork;
die "holdfast: cannot start the task: $!\n" unless defined $task;
if ($task == 0) {
  close($reap_read) if $reap_read;
  if ($stdin_file ne '-') {
    open(STDIN, '<', $stdin_file) or do { print STDERR "holdfast: cannot read $stdin_file: $!\n"; exit 1 };
  }
  exec { $ARGV[0] } @ARGV;
  print STDERR "holdfast: cannot run $ARGV[0]: $!\n";
  exit 127;
}

start_reap_watcher($server, $reap_read, $reap_write) if $reap_read;
report_pid($task);

my $status;
for (;;) {
  my $reaped = waitpid($task, 0);
  if ($reaped == $task) { $status = $?; last }
  next if $reaped == -1 && $! == EINTR;
  $status = 127 << 8;
  last;
}

drain_terminal();

my $signal = $status & 127;
if ($signal) {
  # Die of the task's signal, so tmux reports the signal, not an exit code. Only these three had a
  # handler here; every other signal still has its default action.
  $SIG{$_} = 'DEFAULT' for qw(INT QUIT TERM);
  kill $signal, $$;
  exit 128 + $signal;
}
exit $status >> 8;

# tmux can miss its child's exit and then neither reaps it nor runs pane-died until some other
# child of the server exits (docs/architecture.md, "Missed reaps"). A watcher in a process group of
# its own (a stop signals the task's process group, never it) reads a pipe whose write end only this
# process, the task and what the task starts hold. When the last of them is gone it sends the tmux
# server SIGCHLD a few times, so the server reaps, and appends `_gone|<task>|<run n>` to the events
# file, so the daemon looks at every pane soon even if tmux reports nothing (a killed session) and
# need not when tmux's hook has already said how the run ended.
sub start_reap_watcher {
  my ($server, $read, $write) = @_;
  my $watcher = fork;
  if (!defined $watcher) { close($read); return }
  if ($watcher == 0) {
    close($write);
    # As holdfast finds it (src/supervisor/process-tree.ts): not one of the run's processes.
    $0 = 'holdfast reap watcher ' . ($ENV{HOLDFAST_HOME} // '') . '/pane-events.log';
    setpgrp(0, 0);
    $SIG{$_} = 'IGNORE' for qw(INT TERM HUP QUIT);
    # Off the pane's terminal: it must not hold the pty open, nor write to it.
    open(STDIN, '<', '/dev/null');
    open(STDOUT, '>', '/dev/null');
    open(STDERR, '>', '/dev/null');
    1 while sysread($read, my $chunk, 512);
    kill 'CHLD', $server;
    for my $pause (0.002, 0.003) {
      select(undef, undef, undef, $pause);
      kill('CHLD', $server) or exit 0;
    }
    append_event(join('|', '_gone', $ENV{HOLDFAST_TASK} // '', $ENV{HOLDFAST_RUN} // '', '', 0) . "\n");
    for my $pause (0.005, 0.01, 0.05, 0.2, 1) {
      select(undef, undef, undef, $pause);
      kill('CHLD', $server) or exit 0;
    }
    exit 0;
  }
  # The write end stays open here (in $reap_write) for the life of this process.
  close($read);
}

# The task's own pid, for holdfast to show and a user to signal: the pane's pid is this process's.
sub report_pid {
  my ($pid) = @_;
  append_event(join('|', '_pid', $ENV{HOLDFAST_TASK} // '', $ENV{HOLDFAST_RUN} // '', $pid, 0) . "\n");
}

sub append_event {
  my ($line) = @_;
  my $home = $ENV{HOLDFAST_HOME};
  return unless defined $home && $home ne '';
  # Never through a link, never creating the file: holdfast made it, 0600.
  require Fcntl;
  sysopen(my $fh, "$home/pane-events.log", Fcntl::O_WRONLY() | Fcntl::O_APPEND() | Fcntl::O_NOFOLLOW()) or return;
  syswrite($fh, $line);
  close($fh);
}

# Asks the terminal (tmux) for its status (ESC [ 5 n). tmux answers only once it has read all that
# was written before the question, so with the answer in, every byte of the task's is on its way to
# the log. Echo goes off first: an echoed answer would be the log's last line. The 4 bytes of the
# question end the log; holdfast's readers leave them out (src/supervisor/run-log.ts).
sub drain_terminal {
  return unless -t STDIN && -t STDOUT;
  return unless quiet_terminal();
  syswrite(STDOUT, "\e[5n") or return;
  my $reply = '';
  my $deadline = time + 3;
  while (index($reply, "\e[0n") < 0) {
    my $left = $deadline - time;
    last if $left <= 0;
    my $ready = '';
    vec($ready, 0, 1) = 1;
    my $n = select($ready, undef, undef, $left);
    next if $n < 0 && $! == EINTR;
    last if $n <= 0;
    my $got = sysread(STDIN, my $chunk, 64);
    last unless $got;
    $reply .= $chunk;
  }
}

# Echo and line editing off. Linux's TCGETS/TCSETS on its termios (c_lflag the 4th word; ECHO 010,
# ICANON 02) spare a process start at every exit; elsewhere, stty.
sub quiet_terminal {
  my $termios = "\0" x 64;
  if ($^O eq 'linux' && ioctl(STDIN, 0x5401, $termios)) {
    my @flags = unpack('L4', $termios);
    $flags[3] &= ~(010 | 02);
    substr($termios, 0, 16) = pack('L4', @flags);
    return 1 if ioctl(STDIN, 0x5402, $termios);
  }
  return system('stty', '-echo', '-icanon') == 0;
}
