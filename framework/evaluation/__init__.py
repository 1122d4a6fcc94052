"""Evaluation reports of trained runs (``hoh evaluate``): metrics, pictures, one HTML page."""
