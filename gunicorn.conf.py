"""gunicorn settings for ``make run`` and bench/load.py (both pass ``-c gunicorn.conf.py``; gunicorn
also reads this file by itself when started from the repository root).

The access log never holds a secret: gunicorn's default format writes the request line with its
query string (``%(r)s``), the Referer and the basic-auth user, any of which may carry a token
someone put in a URL. Ours writes the method, the path without the query string (``%(U)s``),
the status, the bytes sent, the time taken in milliseconds and the request id the gateway answers
with in ``X-Request-Id`` (the same id as in its own JSON request log), after the client address
and the time. Tested in tests/integration/test_gunicorn_access_log.py.
"""

access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s'
