#!/usr/bin/env python3
"""TCP forwarder from this namespace's loopback into a network namespace.

usage: forward.py LISTEN_PORT NETNS TARGET_PORT

Binds 127.0.0.1:LISTEN_PORT here (the root namespace), then re-executes
itself inside NETNS with `ip netns exec`, keeping the listening socket
(an inheritable descriptor, passed by number). Accepted connections are
therefore sockets of the namespace the listener was made in, while every
outgoing connection is made in NETNS, to 127.0.0.1:TARGET_PORT there. Bytes
are relayed both ways with bounded buffers; half-closes are passed on.
Nothing listens on any address but loopback.

Prints "forwarding 127.0.0.1:PORT -> NETNS 127.0.0.1:TARGET" once it
accepts connections. Exits 0 on SIGTERM or SIGINT, 1 if it cannot bind.
"""
import errno
import os
import selectors
import signal
import socket
import sys

BUF = 64 * 1024          # per direction and connection
MAX_CONNS = 128          # pairs at once; more wait in the listen backlog


def usage():
    sys.stderr.write("usage: forward.py LISTEN_PORT NETNS TARGET_PORT\n")
    sys.exit(2)


class Pipe:
    """One direction: bytes read from src wait in buf until dst takes them."""

    def __init__(self, src, dst):
        self.src, self.dst = src, dst
        self.buf = bytearray()
        self.eof = False      # src said no more
        self.shut = False     # dst was told no more (or the pair failed)


class Pair:
    def __init__(self, client, upstream):
        self.client, self.upstream = client, upstream
        self.connecting = True
        self.up = Pipe(client, upstream)
        self.down = Pipe(upstream, client)
        self.closed = False


class Forwarder:
    def __init__(self, lsock, target):
        self.lsock = lsock
        self.target = target
        self.sel = selectors.DefaultSelector()
        self.pairs = set()
        self.registered = {}   # socket -> mask
        self.sel.register(lsock, selectors.EVENT_READ, None)
        self.accepting = True

    # -- registration ------------------------------------------------------
    def _want(self, sock, mask, pair):
        old = self.registered.get(sock)
        if mask == 0:
            if old is not None:
                self.sel.unregister(sock)
                del self.registered[sock]
        elif old is None:
            self.sel.register(sock, mask, pair)
            self.registered[sock] = mask
        elif old != mask:
            self.sel.modify(sock, mask, pair)
            self.registered[sock] = mask

    def _update(self, pair):
        if pair.closed:
            return
        for sock, rd, wr in ((pair.client, pair.up, pair.down),
                             (pair.upstream, pair.down, pair.up)):
            mask = 0
            if sock is pair.upstream and pair.connecting:
                mask = selectors.EVENT_WRITE
            elif not pair.connecting:
                if not rd.eof and len(rd.buf) < BUF:
                    mask |= selectors.EVENT_READ
                if wr.buf:
                    mask |= selectors.EVENT_WRITE
            self._want(sock, mask, pair)
        if pair.up.shut and pair.down.shut:
            self._close(pair)

    def _close(self, pair):
        if pair.closed:
            return
        pair.closed = True
        for sock in (pair.client, pair.upstream):
            self._want(sock, 0, None)
            try:
                sock.close()
            except OSError:
                pass
        self.pairs.discard(pair)
        if not self.accepting and len(self.pairs) < MAX_CONNS:
            self.sel.register(self.lsock, selectors.EVENT_READ, None)
            self.accepting = True

    # -- events ------------------------------------------------------------
    def _accept(self):
        try:
            client, _ = self.lsock.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError as e:
            if e.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                return
            raise
        client.setblocking(False)
        upstream = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        upstream.setblocking(False)
        pair = Pair(client, upstream)
        self.pairs.add(pair)
        rc = upstream.connect_ex(self.target)
        if rc not in (0, errno.EINPROGRESS):
            self._close(pair)
            return
        if len(self.pairs) >= MAX_CONNS and self.accepting:
            self.sel.unregister(self.lsock)
            self.accepting = False
        self._update(pair)

    def _flush(self, pipe):
        if pipe.buf:
            n = pipe.dst.send(pipe.buf)
            del pipe.buf[:n]
        if pipe.eof and not pipe.buf and not pipe.shut:
            pipe.shut = True
            try:
                pipe.dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def _event(self, pair, sock, mask):
        if pair.connecting:
            err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                self._close(pair)
                return
            pair.connecting = False
            self._update(pair)
            return
        rd = pair.up if sock is pair.client else pair.down
        wr = pair.down if sock is pair.client else pair.up
        try:
            if mask & selectors.EVENT_READ and not rd.eof:
                data = sock.recv(BUF - len(rd.buf))
                if data:
                    rd.buf += data
                else:
                    rd.eof = True
                self._flush(rd)
            if mask & selectors.EVENT_WRITE:
                self._flush(wr)
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            self._close(pair)
            return
        self._update(pair)

    def run(self):
        while True:
            for key, mask in self.sel.select():
                if key.data is None:
                    self._accept()
                elif not key.data.closed:
                    self._event(key.data, key.fileobj, mask)


def main():
    args = sys.argv[1:]
    if len(args) == 4 and args[0] == "--fd":
        # Second stage, inside the namespace.
        fd, target_port = int(args[1]), int(args[3])
        ns = args[2]
        lsock = socket.socket(fileno=fd)
        lsock.setblocking(False)
        port = lsock.getsockname()[1]
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
        print("forwarding 127.0.0.1:%d -> %s 127.0.0.1:%d" % (port, ns, target_port), flush=True)
        Forwarder(lsock, ("127.0.0.1", target_port)).run()
        return
    if len(args) != 3:
        usage()
    try:
        port, ns, target_port = int(args[0]), args[1], int(args[2])
    except ValueError:
        usage()
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        lsock.bind(("127.0.0.1", port))
        lsock.listen(128)
    except OSError as e:
        sys.stderr.write("forward.py: cannot listen on 127.0.0.1:%d: %s\n" % (port, e.strerror))
        sys.exit(1)
    lsock.set_inheritable(True)
    fd = lsock.fileno()
    argv = ["ip", "netns", "exec", ns, sys.executable, os.path.abspath(__file__),
            "--fd", str(fd), ns, str(target_port)]
    try:
        os.execvp("ip", argv)
    except OSError as e:
        sys.stderr.write("forward.py: ip netns exec: %s\n" % e.strerror)
        sys.exit(1)


if __name__ == "__main__":
    main()
