"""scikit-learn-intelex's global configuration, as far as it means something here: where calls
run when neither `queue=` nor the arrays name a queue (`target_offload`). scikit-learn's own
settings pass through to `sklearn.config_context`."""

import threading
from contextlib import contextmanager

import sklearn

# Settings scikit-learn-intelex adds to scikit-learn's: the only one that changes a result here
# is target_offload; the others are accepted so that its scripts run unchanged.
_DEFAULTS = {
    "target_offload": "auto",
    "allow_fallback_to_host": False,
    "allow_sklearn_after_onedal": True,
    "use_raw_input": False,
    # scikit-learn's own setting, kept here instead: the arrays stay numpy arrays in host memory
    # (spmd_learn streams them to the GPU), so scikit-learn's array API dispatch is not turned on.
    "array_api_dispatch": False,
}
_local = threading.local()


def _settings():
    if not hasattr(_local, "settings"):
        _local.settings = dict(_DEFAULTS)
    return _local.settings


def get_config():
    """scikit-learn's configuration and spmd_learn's (`target_offload`, ...), as one dict."""
    return {**sklearn.get_config(), **_settings()}


def set_config(**settings):
    """Sets settings for this thread, as `sklearnex.set_config`: `target_offload` ("auto": the
    queue of the call or of its arrays, else the CPU; "cpu"; "gpu"; or a `Queue`),
    `allow_fallback_to_host`, `allow_sklearn_after_onedal`, `use_raw_input` and
    `array_api_dispatch` (accepted), and any of scikit-learn's."""
    ours = {k: v for k, v in settings.items() if k in _DEFAULTS}
    theirs = {k: v for k, v in settings.items() if k not in _DEFAULTS}
    if "target_offload" in ours:
        _check_target(ours["target_offload"])
    _settings().update(ours)
    if theirs:
        sklearn.set_config(**theirs)


@contextmanager
def config_context(**settings):
    """`set_config` for the body of a `with` block, as `sklearnex.config_context`:

    >>> import spmd_learn
    >>> with spmd_learn.config_context(target_offload="cpu", array_api_dispatch=True):
    ...     spmd_learn.get_config()["target_offload"]
    'cpu'
    """
    saved_ours = dict(_settings())
    theirs = {k: v for k, v in settings.items() if k not in _DEFAULTS}
    ours = {k: v for k, v in settings.items() if k in _DEFAULTS}
    with sklearn.config_context(**theirs):
        set_config(**ours)
        try:
            yield
        finally:
            _settings().clear()
            _settings().update(saved_ours)


def _check_target(target):
    from . import _native

    if isinstance(target, _native.Queue) or target in ("auto", "cpu", "gpu"):
        return
    raise ValueError(f'target_offload must be "auto", "cpu", "gpu" or a Queue, not {target!r}')


def configured_queue():
    """The queue `target_offload` names ("auto": None, meaning no preference)."""
    target = _settings()["target_offload"]
    return None if isinstance(target, str) and target == "auto" else target
