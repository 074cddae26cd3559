# The pipe-pane command of every run: appends the pane's output to the run's log, in segments of
# exactly MAX bytes (src/supervisor/log-segments.ts): LOG (run-N.log) first, then run-N.1.log,
# run-N.2.log, …, deleting the oldest so that at most KEEP are on disk.
#
# usage: perl log-pipe.pl LOG MAX KEEP       (MAX 0: one file, never rotated)
#
# Why the writer rotates and not tmux: re-pointing `pipe-pane` at a new file frees the old pipe
# with whatever tmux had read from the pane and not yet written to it (cmd-pipe-pane.c), so a
# switch under heavy output loses bytes. This process is the only reader of the pipe: every byte
# it reads goes to exactly one segment, in order, and a switch costs no tmux call at all.
# A writer started again for the same run (a relaunch, a pipe attached again) continues the newest
# segment where it ends.
use strict;
use warnings;
# Fcntl only: this process lives as long as its pane (see run-task.pl).
use Fcntl qw(O_WRONLY O_APPEND O_CREAT O_NOFOLLOW);

my ($log, $max, $keep) = @ARGV;
die "usage: log-pipe.pl LOG MAX KEEP\n" unless defined $keep && $max =~ /^\d+$/ && $keep =~ /^[1-9]\d*$/;
my ($dir, $stem) = $log =~ m{^(.*)/([^/]+?)(?:\.log)?\z}s or die "log-pipe.pl: bad log path $log\n";

sub segment { my ($k) = @_; return $k == 0 ? $log : "$dir/$stem.$k.log"; }

my @have;
if (opendir(my $dh, $dir)) {
  for my $name (readdir $dh) {
    push @have, 0 if "$dir/$name" eq $log;
    push @have, $1 if $name =~ /^\Q$stem\E\.([1-9]\d*)\.log\z/;
  }
  closedir $dh;
}
my $k = 0;
for (@have) { $k = $_ if $_ > $k; }
my $size = -s segment($k) // 0;
my $fh;

# A full disk is waited out, not given up on: the pane's output waits in the pipe and in tmux, and
# reaches the log in order once there is room, so a disk full for a while loses no byte (a writer
# that exited would leave the run uncaptured until the daemon attached a new pipe). Past FULL_WAIT
# seconds the writer gives up, so tmux does not hold a chatty pane's output without end; the daemon
# then journals the gap (capture-lost) and attaches a new pipe once the disk has room.
my $FULL_WAIT = 600;
my $full_since;
sub disk_full {
  return 0 unless $!{ENOSPC} || $!{EDQUOT};
  $full_since //= time;
  return 0 if time - $full_since > $FULL_WAIT;
  select(undef, undef, undef, 0.2);
  return 1;
}

sub open_segment {
  until (sysopen($fh, segment($k), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0600)) {
    next if $!{EINTR} || disk_full();
    die "log-pipe.pl: cannot open " . segment($k) . ": $!\n";
  }
  undef $full_since;
}

sub rotate {
  close $fh;
  $k++;
  $size = 0;
  open_segment();
  # Oldest first, after the new segment exists: a reader never finds the run without its newest
  # bytes, and any two segments on disk still say the limit.
  for my $old (@have, $k - $keep) {
    unlink segment($old) if $old >= 0 && $old <= $k - $keep;
  }
  @have = ();
}

$max > 0 && $size >= $max ? rotate() : open_segment();

my $buf;
for (;;) {
  my $n = sysread(STDIN, $buf, 65536);
  if (!defined $n) {
    next if $!{EINTR};
    exit 1;
  }
  exit 0 if $n == 0;
  my $off = 0;
  while ($off < $n) {
    rotate() if $max > 0 && $size >= $max;
    my $want = $n - $off;
    $want = $max - $size if $max > 0 && $want > $max - $size;
    my $w = syswrite($fh, $buf, $want, $off);
    if (!defined $w) {
      next if $!{EINTR} || disk_full();
      exit 1;
    }
    undef $full_since;
    $off += $w;
    $size += $w;
  }
}
