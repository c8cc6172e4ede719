"""A long-treated patient for timing: ten years of monthly labs and injections (synthetic)."""

from __future__ import annotations

import numpy as np
import pandas as pd

ANALYTES = {"Hemoglobin": ("g/dL", 13.5, 1.0), "MCV": ("fL", 90, 3), "Vitamin B12": ("pg/mL", 600, 150),
            "Methylmalonic Acid": ("nmol/L", 180, 40), "Homocysteine": ("umol/L", 10, 2),
            "Folate": ("ng/mL", 12, 3), "Ferritin": ("ng/mL", 80, 20), "WBC": ("10*3/uL", 6, 1)}


def long_patient(years: int = 10, seed: int = 7, patient_id: str = "MRN000001",
                 start: str = "2015-01-05") -> tuple[bytes, bytes]:
    """(lab export CSV, injection record CSV) for one patient: loading doses from ``start``, then a
    dose a month for ``years``; labs monthly, on the 15th."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp(start)
    loading = [start + pd.Timedelta(days=2 * i) for i in range(6)]
    monthly = [loading[-1] + pd.DateOffset(months=k) for k in range(1, 12 * years + 1)]
    doses = pd.DataFrame({"Patient ID": patient_id, "Administration Date": [d.strftime("%Y-%m-%d") for d in
                                                                            loading + monthly],
                          "Medication": "Hydroxocobalamin 1mg/1ml", "Dose": "1 mg", "Route": "IM"})
    rows = []
    for visit in pd.date_range(start, periods=12 * years + 1, freq="MS") + pd.Timedelta(days=14):
        for test, (unit, mean, sd) in ANALYTES.items():
            value = round(float(rng.normal(mean, sd)), 1)
            rows.append((patient_id, f"{visit:%m/%d/%Y} 08:30 AM", test, f"{value}", unit, ""))
    labs = pd.DataFrame(rows, columns=["Patient ID", "Collection Date", "Test Name", "Result", "Units", "Flag"])
    return labs.to_csv(index=False).encode(), doses.to_csv(index=False).encode()
