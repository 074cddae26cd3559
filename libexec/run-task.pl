# The last step of libexec/launch.sh, which execs it (so this is the pane's own process): runs the
# task as a child, waits for it, waits for tmux to have read all it wrote, and ends as it ended.
#
# usage: perl run-task.pl STDIN_FILE -- COMMAND [ARG...]
#
# Why a child and not exec: when a pane's own process exits, tmux reads what the pty holds and
# closes it, and bytes the task wrote just before exiting can still be on their way through the
# kernel (docs/architecture.md, "The last bytes of a run"). Why perl and not the shell: a shell
# reports a task killed by SIGKILL and one that ran `exit 137` alike; waitpid tells them apart, and
# perl-base is part of every Debian system.
use strict;
use warnings;
# Nothing heavier than Fcntl: this process lives as long as its task, once per pane (POSIX alone
# would add 2 MB and 30 ms of start-up to each).
use Fcntl qw(O_WRONLY O_APPEND O_NOFOLLOW);

my $stdin_file = shift @ARGV;
shift @ARGV if @ARGV && $ARGV[0] eq '--';
die "holdfast: run-task.pl: no command\n" unless @ARGV;

# Handlers, not ignores: a stop signals the whole process group, and this process must live until
# the task has gone. exec resets handlers to the default, so the task gets the signals as ever.
# Not SIGHUP: the kernel sends a hangup (a killed session or server) to this process alone, as the
# session's leader, and passes it on to the task's process group only when this process exits.
$SIG{$_} = sub { } for qw(INT QUIT TERM);

my $task = fork;
die "holdfast: cannot start the task: $!\n" unless defined $task;
if ($task == 0) {
  if ($stdin_file ne '-') {
    open(STDIN, '<', $stdin_file) or do { print STDERR "holdfast: cannot read $stdin_file: $!\n"; exit 1 };
  }
  { no warnings 'exec'; exec { $ARGV[0] } @ARGV; }
  print STDERR "holdfast: cannot run $ARGV[0]: $!\n";
  exit 127;
}

report_pid($task);

my $status;
for (;;) {
  my $reaped = waitpid($task, 0);
  if ($reaped == $task) { $status = $?; last }
  next if $reaped == -1 && $!{EINTR};
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

# The task's own pid, for holdfast to show and a user to signal: the pane's pid is this process's.
sub report_pid {
  my ($pid) = @_;
  my $home = $ENV{HOLDFAST_HOME};
  return unless defined $home && $home ne '';
  my $line = join('|', '_pid', $ENV{HOLDFAST_TASK} // '', $ENV{HOLDFAST_RUN} // '', $pid, 0) . "\n";
  # Never through a link, never creating the file: holdfast made it, 0600.
  sysopen(my $fh, "$home/pane-events.log", O_WRONLY | O_APPEND | O_NOFOLLOW) or return;
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
    next if $n < 0 && $!{EINTR};
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
