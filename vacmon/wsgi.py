from __future__ import annotations

import gc
import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from vacmon.ops.insecure import check_startup

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vacmon.settings")
application = get_wsgi_application()
check_startup()  # a production server on development defaults stops here, loudly

# Everything loaded so far (modules, settings, the URL patterns and the views they import)
# lives as long as the process. Frozen, it is no longer re-scanned by every full garbage
# collection: a dashboard page builds thousands of objects, and with 120,000 long-lived ones
# to walk each full collection took about 50 ms of a page's time.
import_module(settings.ROOT_URLCONF)
gc.freeze()
