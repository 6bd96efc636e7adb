"""GraphQL over WebSocket (graphql-transport-ws): subscriptions and single operations."""

import asyncio
import json

import websockets


async def subscribe(url: str, token: str | None, project_id: str | None = None):
    socket = await websockets.connect(url.replace("http", "ws") + "/graphql", subprotocols=["graphql-transport-ws"])
    payload = {"Authorization": f"Bearer {token}"} if token else {}
    await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
    ack = json.loads(await asyncio.wait_for(socket.recv(), 5))
    assert ack["type"] == "connection_ack", ack
    query = "subscription($p: ID) { riskFlagChanged(projectId: $p) { reason severity explanation acknowledgedAt project { title } } }"
    await socket.send(
        json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": {"p": project_id}}})
    )
    return socket


async def next_event(socket, within: float):
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), within))
        if message["type"] in ("next", "error", "complete"):
            return message


async def connect_ws(url: str, token: str) -> websockets.ClientConnection:
    socket = await websockets.connect(url.replace("http", "ws") + "/graphql", subprotocols=["graphql-transport-ws"])
    await socket.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
    assert json.loads(await asyncio.wait_for(socket.recv(), 5))["type"] == "connection_ack"
    return socket


async def run_ws(socket: websockets.ClientConnection, operation_id: str, body: dict) -> dict:
    """Send one operation; its first `next` or `error` message (a `complete` follows a `next`)."""
    await socket.send(json.dumps({"id": operation_id, "type": "subscribe", "payload": body}))
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), 10))
        if message.get("id") == operation_id and message["type"] in ("next", "error"):
            return message
