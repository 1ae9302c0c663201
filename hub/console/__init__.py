"""The policy officers' console: server-rendered pages under ``/console/`` that call the same
services as the API (:mod:`hub.sharing`, :mod:`hub.audit`, :mod:`hub.store`) and add no logic of
their own beyond signing people in."""
