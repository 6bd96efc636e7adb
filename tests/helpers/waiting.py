"""Waiting for what workers and servers do in the background."""

import asyncio


async def eventually(check, within: float = 20, what: str = "condition"):
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {within} s waiting for {what}")
        await asyncio.sleep(0.05)
