#!/usr/bin/python3
"""Runs a command on a pseudo-terminal, answers its two password prompts with PASSWORD, and
prints what the terminal showed; exits with the command's status.
usage: tty_password.py PASSWORD COMMAND [ARGS...]"""
import os
import pty
import sys

password = sys.argv[1].encode()
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
shown = b""
answered = 0
while True:
    try:
        chunk = os.read(fd, 1024)
    except OSError:
        break
    if not chunk:
        break
    shown += chunk
    while answered < 2 and shown.count(b": ") > answered and (b"password: " in shown):
        os.write(fd, password + b"\n")
        answered += 1
_, status = os.waitpid(pid, 0)
sys.stdout.write(shown.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
