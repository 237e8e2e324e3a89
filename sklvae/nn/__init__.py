"""Torch building blocks shared by every method."""
