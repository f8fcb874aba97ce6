package main

import "github.com/nats-io/nats.go"

// natsConn holds a connection of the engine commands.
type natsConn struct{ nc *nats.Conn }
