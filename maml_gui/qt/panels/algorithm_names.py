"""What the app calls each algorithm: short names for narrow combo boxes and labels, a longer
description for tooltips, and MAML++ (MAML with the options of Antoniou et al. 2019), which the
engine runs as ``maml`` with options but a user looks for by name."""

from __future__ import annotations

from maml_gui.core.config import ALGORITHMS

MAML_PLUS_PLUS = "maml++"  # a form choice only: saved as algorithm "maml" with the options below
ALGORITHM_NAMES = {"maml": "MAML", "fomaml": "First-order MAML", "reptile": "Reptile", "anil": "ANIL",
                   "metasgd": "Meta-SGD", MAML_PLUS_PLUS: "MAML++"}
ALGORITHM_DESCRIPTIONS = {
    "maml": "MAML, second order: differentiates through the inner steps (Finn et al. 2017)",
    "fomaml": "first-order MAML: the meta-gradient ignores the inner steps' second derivatives",
    "reptile": "Reptile: moves the initialisation toward the adapted weights (Nichol et al. 2018)",
    "anil": "ANIL: adapts the head only in the inner loop (Raghu et al. 2020)",
    "metasgd": "Meta-SGD: also learns a rate per parameter (Li et al. 2017)",
    MAML_PLUS_PLUS: "MAML++: MAML with learned per-step rates (LSLR), multi-step loss (MSL), cosine meta lr "
                    "and first-order iterations at first (Antoniou et al. 2019)",
}
FORM_ALGORITHMS = (*ALGORITHMS, MAML_PLUS_PLUS)
MAML_PLUS_PLUS_FIRST_ORDER_SHARE = 15  # first-order for iterations / 15 at first (2,000 of 30,000 in the paper)


def is_maml_plus_plus(algorithm: str, learn_inner_lr: bool, multi_step_loss: bool) -> bool:
    return algorithm == "maml" and learn_inner_lr and multi_step_loss


def maml_plus_plus_options(iterations: int, first_order_iterations: int) -> dict:
    """The training options the MAML++ choice sets (first-order iterations kept if already set)."""
    return {"learn_inner_lr": True, "multi_step_loss": True, "meta_lr_schedule": "cosine",
            "first_order_iterations": first_order_iterations or iterations // MAML_PLUS_PLUS_FIRST_ORDER_SHARE}


def model_algorithm_name(algorithm: str, learned_per_step_rates: bool) -> str:
    """A trained model's algorithm by what it is: ``maml`` with learned per-step rates is MAML++."""
    name = ALGORITHM_NAMES.get(algorithm, algorithm)
    if learned_per_step_rates and algorithm in ("maml", "fomaml"):
        return f"{name}++"
    return name
