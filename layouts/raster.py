"""Pictures computed in numpy for the SVG map: colours sampled from a Plotly colour scale, the
Gaussian-blurred density of weighted points, and a minimal indexed-PNG encoder (zlib + struct), so
the map needs no imaging library and requests nothing off the host."""
from __future__ import annotations

import base64
import math
import struct
import zlib

import numpy as np


def _parse_colour(text: str) -> tuple[float, float, float, float]:
    """'#rrggbb', 'rgb(r,g,b)' or 'rgba(r,g,b,a)' → (r, g, b, a) with r, g, b in 0..255 and a in 0..1."""
    text = text.strip()
    if text.startswith("#"):
        return int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16), 1.0
    parts = [float(p) for p in text[text.index("(") + 1:text.rindex(")")].split(",")]
    return parts[0], parts[1], parts[2], parts[3] if len(parts) > 3 else 1.0


def sample_scale(scale: list, values) -> np.ndarray:
    """The colours of ``scale`` at ``values`` (0..1, clipped) as an array of (r, g, b, a), linearly interpolated."""
    positions = np.array([stop[0] for stop in scale], dtype=float)
    stops = np.array([_parse_colour(stop[1]) for stop in scale], dtype=float)
    t = np.clip(np.nan_to_num(np.asarray(values, dtype=float)), 0.0, 1.0)
    return np.stack([np.interp(t, positions, stops[:, c]) for c in range(4)], axis=-1)


def _rgba(colour, alpha: float = 1.0) -> str:
    r, g, b, a = colour
    return f"rgba({round(r)},{round(g)},{round(b)},{round(a * alpha, 3):g})"


def gaussian_kernel(sigma: float) -> np.ndarray:
    """A normalised 1-D Gaussian kernel out to 3 σ."""
    radius = max(1, math.ceil(3 * sigma))
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / max(sigma, 1e-6)) ** 2)
    return kernel / kernel.sum()


def gaussian_blur(grid: np.ndarray, sigma: float) -> np.ndarray:
    """A Gaussian blur (zero outside the grid) as two 1-D convolutions, in numpy alone."""
    kernel = gaussian_kernel(sigma)
    radius = len(kernel) // 2
    out = np.asarray(grid, dtype=float)
    for axis in (0, 1):
        n = out.shape[axis]
        padded = np.pad(out, [(radius, radius) if a == axis else (0, 0) for a in (0, 1)])
        acc = np.zeros_like(out)
        for i, weight in enumerate(kernel):
            acc += weight * (padded[i:i + n, :] if axis == 0 else padded[:, i:i + n])
        out = acc
    return out


def density_raster(x, y, weight, x_range: tuple[float, float], y_range: tuple[float, float],
                   shape: tuple[int, int], sigma: float) -> np.ndarray:
    """Weighted point density on a ``shape`` (rows, columns) grid over the ranges, blurred with a
    Gaussian of ``sigma`` cells; rows run north to south, as an image is drawn. Points just outside the
    ranges still glow in across the edge."""
    rows, cols = shape
    (x0, x1), (y0, y1) = x_range, y_range
    dx, dy = (x1 - x0) / cols, (y1 - y0) / rows
    pad = max(1, math.ceil(3 * sigma))
    weight = np.clip(np.nan_to_num(np.asarray(weight, dtype=float)), 0, None)
    hist, _, _ = np.histogram2d(np.asarray(y, dtype=float), np.asarray(x, dtype=float),
                                bins=[rows + 2 * pad, cols + 2 * pad], weights=weight,
                                range=[[y0 - pad * dy, y1 + pad * dy], [x0 - pad * dx, x1 + pad * dx]])
    return gaussian_blur(hist, sigma)[pad:pad + rows, pad:pad + cols][::-1]


LONE_POINT_LEVEL = 0.55  # where on DENSITY_SCALE a lone grid point of the 98th-percentile weight peaks
DENSITY_LEVELS = 64  # the glow's colour steps: smooth once the browser stretches the image, and a small PNG


def density_levels(raster: np.ndarray, top: float, levels: int = DENSITY_LEVELS) -> np.ndarray | None:
    """The raster as colour indices 0..levels-1 (uint8), the top index from ``top`` up; 0 where
    nothing is lit; None when nothing is."""
    peak = float(raster.max()) if raster.size else 0.0
    if not peak > 0:
        return None
    lit = raster > peak * 1e-3
    out = np.round(np.clip(raster / (top if top > 0 else peak), 0, 1) * (levels - 1)).astype(np.uint8)
    out[~lit] = 0
    return out


def scale_palette(scale: list, levels: int = DENSITY_LEVELS) -> np.ndarray:
    """``levels`` colours evenly along ``scale`` as (levels, 4) uint8 RGBA."""
    rgba = sample_scale(scale, np.linspace(0, 1, levels))
    rgba[:, 3] *= 255
    return np.round(rgba).astype(np.uint8)


def png_indexed(indices: np.ndarray, palette: np.ndarray) -> bytes:
    """A PNG of a (rows, cols) uint8 index image with an RGBA palette (≤ 256 colours): a minimal
    encoder (zlib + struct), so the map needs no imaging library. One byte per pixel compresses to a
    few KB where RGBA would take twice that."""
    indices = np.ascontiguousarray(indices, dtype=np.uint8)
    palette = np.asarray(palette, dtype=np.uint8)
    rows, cols = indices.shape
    # each row starts with its filter type, 0 (none): the long runs of equal indices compress best unfiltered
    raw = np.hstack([np.zeros((rows, 1), dtype=np.uint8), indices]).tobytes()

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", cols, rows, 8, 3, 0, 0, 0))  # 8-bit, colour type 3: indexed
            + chunk(b"PLTE", palette[:, :3].tobytes()) + chunk(b"tRNS", palette[:, 3].tobytes())
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
