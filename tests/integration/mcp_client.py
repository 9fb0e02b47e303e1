"""Drives `aisecrets mcp` with the official MCP Python SDK (PyPI `mcp`) over stdio (#16).

Usage: mcp_client.py PLAN.json RESULT.json

PLAN: {"server": [argv...], "cwd": DIR, "env": {...}, "calls": [[tool, args], ...],
       "secrets": [values that must never appear]}
RESULT: {"tools": [names], "results": [{"text", "is_error", "structured"}],
         "messages": N, "leaks": [descriptions]}

Every message the client receives is recorded (a tap on the transport's read stream) and
searched for each secret in every form `run --mask` knows (util/leak_forms.py, shared with
jupyter_driver.py).
"""

import asyncio
import json
import os
import sys

import anyio
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "util"))
from leak_forms import leaks as find_leaks  # noqa: E402


def field(obj, *names):
    """A result field under its name in SDK 2.x (snake case) or 1.x (camel case)."""
    for n in names:
        if hasattr(obj, n):
            return getattr(obj, n)
    return None


async def main(plan_path: str, result_path: str) -> None:
    with open(plan_path) as f:
        plan = json.load(f)
    params = StdioServerParameters(
        command=plan["server"][0],
        args=plan["server"][1:],
        env=plan["env"],
        cwd=plan["cwd"],
    )
    received = []
    results = []
    async with stdio_client(params) as (read, write):
        # The tap: every message the server sends passes through here on its way to the
        # session, and is recorded as the JSON it was.
        tap_send, tap_read = anyio.create_memory_object_stream(100)

        async def pump():
            async with tap_send:
                async for item in read:
                    if isinstance(item, Exception):
                        received.append(repr(item))
                    else:
                        received.append(item.message.model_dump_json(by_alias=True))
                    await tap_send.send(item)

        async with anyio.create_task_group() as tg:
            tg.start_soon(pump)
            async with ClientSession(tap_read, write) as session:
                await session.initialize()
                tools = await session.list_tools()
                for name, args in plan["calls"]:
                    r = await session.call_tool(name, args)
                    text = "".join(c.text for c in r.content if getattr(c, "type", "") == "text")
                    results.append(
                        {
                            "text": text,
                            "is_error": bool(field(r, "is_error", "isError")),
                            "structured": field(r, "structured_content", "structuredContent"),
                        }
                    )
            tg.cancel_scope.cancel()
    leaks = find_leaks(plan.get("secrets", []), received)
    with open(result_path, "w") as f:
        json.dump(
            {
                "tools": [t.name for t in tools.tools],
                "results": results,
                "messages": len(received),
                "leaks": leaks,
            },
            f,
        )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
