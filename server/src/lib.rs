//! zhigai server.
