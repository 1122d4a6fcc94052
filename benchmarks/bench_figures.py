"""Figures of the benchmark suite: ratios to same-session references, floors, the table."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from bench_measure import SPECS, Measurer
from bench_settings import BenchConfig

REFERENCE_LABELS = {
    "idg_first_pass": "image-data-generator",
    "idg_steady": "image-data-generator",
    "train_on_batch_ceiling": "train_on_batch",
    "plain_keras_fit_tfdata": "plain Keras fit",
}


@dataclass
class Figure:
    """One row of the summary table."""

    name: str
    images_per_s: float
    reference: str | None = None
    reference_images_per_s: float | None = None
    gate: str | None = None
    floor: float | None = None
    gated: bool = True
    paired_ratio: float | None = None
    """Median of per-round ratios when candidate and reference were measured interleaved."""
    detail: str = ""
    """More about the figure, shown after its result (a latency's median and 95th percentile)."""

    @property
    def ratio(self) -> float | None:
        if self.paired_ratio is not None:
            return self.paired_ratio
        if self.reference_images_per_s is None:
            return None
        return self.images_per_s / self.reference_images_per_s

    @property
    def passed(self) -> bool | None:
        if self.floor is None or self.ratio is None:
            return None
        return self.ratio >= self.floor

    @property
    def result(self) -> str:
        return f"{self.verdict}: {self.detail}" if self.detail else self.verdict

    @property
    def verdict(self) -> str:
        if self.passed is None:
            if self.paired_ratio is not None:
                return "informational"
            return "reference" if self.reference is None else "-"
        verdict = "pass" if self.passed else "FAIL"
        return verdict if self.gated else f"{verdict.lower()} (not gated)"

    def extra_info(self) -> dict[str, Any]:
        return {
            "images_per_s": round(self.images_per_s, 3),
            "reference": self.reference,
            "reference_images_per_s": None
            if self.reference_images_per_s is None
            else round(self.reference_images_per_s, 3),
            "ratio": None if self.ratio is None else round(self.ratio, 4),
            "gate": self.gate,
            "floor": self.floor,
            "gated": self.gated,
            **({"detail": self.detail} if self.detail else {}),
        }


@dataclass
class Session:
    """The benchmark session: measures figures once, caches references, collects table rows."""

    cfg: BenchConfig
    floors: dict[str, float]
    dataset_source: str
    measurer: Measurer | None = None
    measured: dict[str, float] = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)

    def measure(self, key: str, benchmark: Any = None) -> float:
        """Images/s of measurement ``key`` (median over its rounds), timed by pytest-benchmark when given."""
        assert self.measurer is not None
        spec = SPECS[key]
        fn = spec.build(self.measurer)
        rounds, warmup = spec.rounds(self.cfg), spec.warmup_rounds
        results: list[tuple[int, float]] = []

        def one_round() -> None:
            results.append(fn())

        if benchmark is not None and not getattr(benchmark, "disabled", False):
            benchmark.pedantic(one_round, rounds=rounds, iterations=1, warmup_rounds=warmup)
        else:  # a reference whose test was deselected, or --benchmark-disable (pedantic would run one round only)
            for _ in range(warmup + rounds):
                one_round()
        timed = results[warmup:]
        value = statistics.median(images / seconds for images, seconds in timed)
        self.measured[key] = value
        return value

    def reference(self, key: str) -> float:
        """Images/s of ``key`` measured earlier in this session, else measured now (when its test was deselected)."""
        if key not in self.measured:
            self.measure(key)
        return self.measured[key]

    def record(
        self,
        benchmark: Any,
        name: str,
        images_per_s: float,
        *,
        reference: str | None = None,
        gate: str | None = None,
    ) -> Figure:
        """Add a row to the table and to ``benchmark.extra_info`` (pytest-benchmark's JSON and history)."""
        figure = Figure(
            name=name,
            images_per_s=images_per_s,
            reference=reference,
            reference_images_per_s=None if reference is None else self.reference(reference),
            gate=gate,
            floor=None if gate is None else self.floors[gate],
        )
        self.figures.append(figure)
        info = figure.extra_info()
        info.update(mode=self.cfg.mode, image_size=self.cfg.image_size, batch_size=self.cfg.batch_size)
        if "images_per_s" in benchmark.extra_info:  # a second row of the same benchmark
            benchmark.extra_info.setdefault("more", []).append({"name": name, **info})
        else:
            benchmark.extra_info.update(name=name, **info)
        return figure

    def interleaved(self, benchmark: Any, keys: tuple[str, ...], rounds: int) -> dict[str, list[float]]:
        """Images/s of each measurement in ``keys``, per round, all measured in the same rounds.

        Each is built and warmed up, then every round measures each of them once, in an
        order that rotates (and reverses every other round), so that a change of load on
        the machine hits candidate and reference alike. pytest-benchmark times the whole.
        """
        assert self.measurer is not None
        functions = {key: SPECS[key].build(self.measurer) for key in keys}
        for key in keys:
            for _ in range(SPECS[key].warmup_rounds):
                functions[key]()
        speeds: dict[str, list[float]] = {key: [] for key in keys}

        def all_rounds() -> None:
            for index in range(rounds):
                shift = index % len(keys)
                order = keys[shift:] + keys[:shift]
                for key in order if index % 2 == 0 else order[::-1]:
                    images = seconds = 0.0
                    for _ in range(SPECS[key].chunk(self.cfg)):
                        done, spent = functions[key]()
                        images, seconds = images + done, seconds + spent
                    speeds[key].append(images / seconds)

        if benchmark is not None and not getattr(benchmark, "disabled", False):
            benchmark.pedantic(all_rounds, rounds=1, iterations=1)
        else:
            all_rounds()
        for key in keys:
            self.measured[key] = statistics.median(speeds[key])
        return speeds

    def record_paired(
        self,
        benchmark: Any,
        name: str,
        candidate: list[float],
        reference_key: str,
        reference: list[float],
        *,
        gate: str | None = None,
    ) -> Figure:
        """A row from interleaved rounds: the median of the per-round ratios candidate/reference, gated by ``gate``."""
        return self.record_pairs(benchmark, name, reference_key, list(zip(reference, candidate, strict=True)), gate)

    def record_pairs(
        self,
        benchmark: Any,
        name: str,
        reference: str,
        pairs: list[tuple[float, float]],
        gate: str | None = None,
        detail: str = "",
    ) -> Figure:
        """A row from interleaved rounds: ``pairs`` of (reference, candidate) images/s; gated when ``gate`` is."""
        figure = Figure(
            detail=detail,
            name=name,
            images_per_s=statistics.median(candidate for _, candidate in pairs),
            reference=reference,
            reference_images_per_s=statistics.median(base for base, _ in pairs),
            paired_ratio=statistics.median(candidate / base for base, candidate in pairs),
            gate=gate,
            floor=None if gate is None else self.floors[gate],
        )
        if "images_per_s" in benchmark.extra_info:  # a second row of the same benchmark
            self.figures.append(figure)
            benchmark.extra_info.setdefault("more", []).append(
                {"name": name, "pairs": [[round(a, 3), round(b, 3)] for a, b in pairs], **figure.extra_info()}
            )
            return figure
        self.figures.append(figure)
        benchmark.extra_info.update(
            name=name, pairs=[[round(a, 3), round(b, 3)] for a, b in pairs], **figure.extra_info(), mode=self.cfg.mode
        )
        return figure

    def check(self, *figures: Figure) -> None:
        """Fail the test when a gated figure's ratio is below its floor (full mode only)."""
        import pytest

        failed = [f for f in figures if f.gated and f.passed is False]
        if failed:
            pytest.fail(
                "; ".join(
                    f"{f.name}: ratio {f.ratio:.3f} to {f.reference} is below the floor {f.floor} "
                    f"({f.gate} in benchmarks/floors.toml)"
                    for f in failed
                ),
                pytrace=False,
            )

    def table(self) -> Any:
        from rich.table import Table

        gated = "gated by floors.toml" if not self.cfg.quick else "gated by floors.toml's wider [quick] floors"
        table = Table(
            title=f"hoh benchmarks, {self.cfg.mode} mode: {self.cfg.image_size}x{self.cfg.image_size}, "
            f"batch {self.cfg.batch_size}, {self.dataset_source}; ratios {gated}",
        )
        for column in ("benchmark", "images/s", "reference", "ref images/s", "ratio", "floor", "result"):
            table.add_column(column, justify="left" if column in {"benchmark", "reference", "result"} else "right")
        for f in self.figures:
            table.add_row(
                f.name,
                f"{f.images_per_s:,.1f}",
                REFERENCE_LABELS.get(f.reference, f.reference) if f.reference else "-",
                "-" if f.reference_images_per_s is None else f"{f.reference_images_per_s:,.1f}",
                "-" if f.ratio is None else f"{f.ratio:.3f}",
                "-" if f.floor is None else f"{f.floor:g}",
                f.result,
            )
        return table
