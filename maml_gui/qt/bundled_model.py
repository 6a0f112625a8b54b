"""At start, put the bundled trained model in the playground (see :mod:`maml_gui.core.bundled`).

It is shown only when the experiment being edited has the task distribution and network it was
trained for, and no run was opened. It is not the user's result: it is never "unsaved", and Train, Open Run, New and
Reset replace it without asking. A bundled file that fails its checksum is refused with a
message and the app starts without a model.
"""

from __future__ import annotations

import logging
from typing import Callable

from maml_gui.core.bundled import BundledModel, BundledModelError, load_bundled_model
from maml_gui.qt.session import ExperimentSession

log = logging.getLogger(__name__)


def offer_bundled_model(session: ExperimentSession, playground, show_message: Callable[[str], None],
                        load: Callable[[], BundledModel] = load_bundled_model) -> BundledModel | None:
    """Show the bundled model when it fits ``session.config``; returns it, or None when not shown."""
    try:
        bundled = load()
    except BundledModelError as err:
        log.warning("%s", err)
        show_message(str(err))
        return None
    if session.snapshot is not None or not bundled.fits(session.config):
        return None
    playground.set_bundled_model(bundled.snapshot, bundled.description)
    session.show_model(bundled.config, bundled.snapshot)
    show_message(f"{bundled.description}: click in the playground to add points; Train replaces it")
    return bundled
