"""The small models the bot uses: a ranker of a question's candidates (LightGBM's LambdaRank,
exported as trees), a boosted-tree refusal score with its threshold, and linear scores fitted
with NumPy and SciPy (listwise softmax for the trimmer, logistic for the next-sentence choice)."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

L2 = 1e-2


def fit_ranker(
    groups: list[tuple[np.ndarray, np.ndarray]], l2: float = L2, weights=None
) -> np.ndarray:
    """Weights w maximising the softmax probability of the positive candidates of each group
    (groups without a positive are skipped; `weights` says how much each group counts).
    Features are used as given."""
    weights = np.ones(len(groups)) if weights is None else np.asarray(weights, dtype=np.float64)
    keep = [k for k, (x, y) in enumerate(groups) if y.any() and len(y) > 1]
    groups = [groups[k] for k in keep]
    gw = weights[keep] / weights[keep].mean() if keep else weights[:0]
    if not groups:
        raise ValueError("no group has a positive candidate")
    dim = groups[0][0].shape[1]
    sizes = np.array([len(y) for _, y in groups])
    x_all = np.concatenate([x for x, _ in groups]).astype(np.float64)
    y_all = np.concatenate([y for _, y in groups]).astype(bool)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])

    def loss(w):
        s = x_all @ w
        top = np.maximum.reduceat(s, starts)
        e = np.exp(s - np.repeat(top, sizes))
        z = np.add.reduceat(e, starts)
        zp = np.add.reduceat(e * y_all, starts)
        value = -np.sum(gw * np.log(zp / z)) / len(groups) + l2 * w @ w
        p_all = e / np.repeat(z, sizes)
        p_pos = np.where(y_all, e / np.repeat(zp, sizes), 0.0)
        grad = x_all.T @ ((p_all - p_pos) * np.repeat(gw, sizes)) / len(groups) + 2 * l2 * w
        return value, grad

    result = minimize(loss, np.zeros(dim), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return result.x


# LambdaRank's settings: cross-validated top-1 on the fit halves, 16 leaves 0.892 against
# 8 leaves 0.887 and 31 leaves 0.890 (300 trees each); 0.879 for the linear listwise ranker.
RANK_PARAMS = {
    "objective": "lambdarank",
    "lambdarank_truncation_level": 10,
    "num_leaves": 16,
    "learning_rate": 0.05,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "num_threads": 2,
    "seed": 0,
    "deterministic": True,
    "verbosity": -1,
}
RANK_TREES = 300


def fit_lambdarank(groups: list[tuple[np.ndarray, np.ndarray]], weights=None, trees=RANK_TREES):
    """Boosted trees ordering each group's candidates, positives first (LambdaRank, fixed
    seed), exported as a bot.trees.Forest whose scores order them."""
    import lightgbm

    keep = [k for k, (x, y) in enumerate(groups) if y.any() and len(y) > 1]
    if not keep:
        raise ValueError("no group has a positive candidate")
    x = np.concatenate([groups[k][0] for k in keep])
    y = np.concatenate([groups[k][1] for k in keep])
    sizes = [len(groups[k][1]) for k in keep]
    w = None if weights is None else np.repeat(np.asarray(weights, dtype=np.float64)[keep], sizes)
    data = lightgbm.Dataset(x, y, group=sizes, weight=w, free_raw_data=True)
    booster = lightgbm.train(RANK_PARAMS, data, num_boost_round=trees)
    return forest_of(booster.dump_model())


def forest_of(dump: dict):
    """A LightGBM model dump as a bot.trees.Forest (its splits all go left on `<=`)."""
    from bot.trees import Forest

    exported = []
    for info in dump["tree_info"]:
        nodes: list[tuple[int, float, int, int, float]] = []

        def walk(node) -> int:
            at = len(nodes)
            if "leaf_value" in node:
                nodes.append((-1, 0.0, 0, 0, float(node["leaf_value"])))
                return at
            if node["decision_type"] != "<=":
                raise ValueError(f"unsupported split {node['decision_type']}")
            nodes.append((int(node["split_feature"]), float(node["threshold"]), 0, 0, 0.0))
            left, right = walk(node["left_child"]), walk(node["right_child"])
            nodes[at] = (nodes[at][0], nodes[at][1], left, right, 0.0)
            return at

        walk(info["tree_structure"])
        exported.append(tuple(nodes))
    return Forest(0.0, tuple(exported))


def top1(groups: list[tuple[np.ndarray, np.ndarray]], w: np.ndarray) -> float:
    """Share of groups whose best-scored candidate is positive (groups without candidates
    count as misses)."""
    hits = [bool(len(y)) and bool(y[int(np.argmax(x @ w))]) for x, y in groups]
    return float(np.mean(hits)) if hits else 0.0


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = L2, weights=None) -> np.ndarray:
    """Logistic regression weights (the first column of x is expected to be a bias of 1).
    Features are standardised while fitting, so the penalty treats them alike; the weights
    returned apply to the raw features."""
    x = x.astype(np.float64)
    y = y.astype(np.float64)
    mean, std = x.mean(axis=0), x.std(axis=0)
    mean[0], std[0] = 0.0, 1.0
    std[std == 0] = 1.0
    sw = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=np.float64)
    w = _logistic((x - mean) / std, y, l2, sw / sw.mean())
    raw = w / std
    raw[0] = w[0] - np.sum(w[1:] * mean[1:] / std[1:])
    return raw


def _logistic(x: np.ndarray, y: np.ndarray, l2: float, sw: np.ndarray) -> np.ndarray:
    def loss(w):
        z = x @ w
        p = 1 / (1 + np.exp(-z))
        eps = 1e-12
        ll = y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps)
        value = -np.mean(sw * ll) + l2 * w[1:] @ w[1:]
        grad = x.T @ (sw * (p - y)) / len(y)
        grad[1:] += 2 * l2 * w[1:]
        return value, grad

    return minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B").x


def threshold_for(scores: np.ndarray, positives: np.ndarray, max_false_refusals: float) -> float:
    """The highest threshold that refuses at most `max_false_refusals` of the positives
    (a question is refused when its score is below the threshold)."""
    pos = np.sort(scores[positives.astype(bool)])
    if not len(pos):
        return float("-inf")
    k = int(np.floor(max_false_refusals * len(pos)))
    return float(pos[k]) if k < len(pos) else float(pos[-1])


def fit_forest(x: np.ndarray, y: np.ndarray, weights=None, trees: int = 150, leaves: int = 8):
    """Gradient-boosted trees (scikit-learn's histogram boosting, fixed seed) for a yes/no
    target, exported as a bot.trees.Forest."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    from bot.trees import Forest

    model = HistGradientBoostingClassifier(
        max_iter=trees, learning_rate=0.05, max_leaf_nodes=leaves, random_state=0
    )
    model.fit(x, y.astype(int), sample_weight=weights)
    exported = []
    for (predictor,) in model._predictors:
        nodes = []
        for node in predictor.nodes:
            leaf = bool(node["is_leaf"])
            nodes.append(
                (
                    -1 if leaf else int(node["feature_idx"]),
                    float(node["num_threshold"]),
                    int(node["left"]),
                    int(node["right"]),
                    float(node["value"]) if leaf else 0.0,
                )
            )
        exported.append(tuple(nodes))
    return Forest(float(np.ravel(model._baseline_prediction)[0]), tuple(exported))
