"""Settings shared by the project's own tests."""

import os

from hypothesis import settings

# The regular run is reproducible: every property test draws the same examples each time, so a
# red CI run can be rerun and debugged. GGSCHED_HYPOTHESIS=explore draws fresh examples instead
# (use it locally, with a larger --hypothesis-seed / max_examples, to hunt for new failures).
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("GGSCHED_HYPOTHESIS", "ci"))
