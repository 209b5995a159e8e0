#!/usr/bin/env python3
"""Estimate the first days of Ramazan Bayrami (1 Shawwal) and Kurban Bayrami
(10 Dhu al-Hijjah) for years that Diyanet has not published yet.

Method: astronomical new moon (conjunction) after Meeus, "Astronomical
Algorithms", ch. 49 (accuracy of a few minutes).  A Hijri month is taken to
begin on the day after the conjunction if the conjunction happens before
CUTOFF_UTC hours UTC (the crescent can then be seen somewhere on Earth that
evening, the criterion of the 2016 Istanbul Hijri calendar congress which
Diyanet follows); otherwise it begins one day later.  The cutoff (14:00 UTC)
was calibrated against the published Diyanet dates 2010-2027 in
religious_holidays.tsv: it reproduces 34 of the 36 first days; it misses
Kurban Bayrami 2015 and 2016 by one day (conjunction in the morning, yet the
month started two days later), so an estimate can be one day early.  Output lines are marked `estimate`.
Usage: python3 estimate_religious.py 2028 2051
"""
import math, sys, datetime

CUTOFF_UTC = 14.0

def new_moon_jde(k):
    T = k / 1236.85
    jde = (2451550.09766 + 29.530588861 * k + 0.00015437 * T**2
           - 0.000000150 * T**3 + 0.00000000073 * T**4)
    E = 1 - 0.002516 * T - 0.0000074 * T**2
    M = math.radians(2.5534 + 29.10535670 * k - 0.0000014 * T**2 - 0.00000011 * T**3)
    Mp = math.radians(201.5643 + 385.81693528 * k + 0.0107582 * T**2
                      + 0.00001238 * T**3 - 0.000000058 * T**4)
    F = math.radians(160.7108 + 390.67050284 * k - 0.0016118 * T**2
                     - 0.00000227 * T**3 + 0.000000011 * T**4)
    Om = math.radians(124.7746 - 1.56375588 * k + 0.0020672 * T**2 + 0.00000215 * T**3)
    s = (-0.40720 * math.sin(Mp) + 0.17241 * E * math.sin(M) + 0.01608 * math.sin(2*Mp)
         + 0.01039 * math.sin(2*F) + 0.00739 * E * math.sin(Mp - M)
         - 0.00514 * E * math.sin(Mp + M) + 0.00208 * E*E * math.sin(2*M)
         - 0.00111 * math.sin(Mp - 2*F) - 0.00057 * math.sin(Mp + 2*F)
         + 0.00056 * E * math.sin(2*Mp + M) - 0.00042 * math.sin(3*Mp)
         + 0.00042 * E * math.sin(M + 2*F) + 0.00038 * E * math.sin(M - 2*F)
         - 0.00024 * E * math.sin(2*Mp - M) - 0.00017 * math.sin(Om)
         - 0.00007 * math.sin(Mp + 2*M) + 0.00004 * math.sin(2*Mp - 2*F)
         + 0.00004 * math.sin(3*M) + 0.00003 * math.sin(Mp + M - 2*F)
         + 0.00003 * math.sin(2*Mp + 2*F) - 0.00003 * math.sin(Mp + M + 2*F)
         + 0.00003 * math.sin(Mp - M + 2*F) - 0.00002 * math.sin(Mp - M - 2*F)
         - 0.00002 * math.sin(3*Mp + M) + 0.00002 * math.sin(4*Mp))
    A = [299.77 + 0.107408*k - 0.009173*T**2, 251.88 + 0.016321*k, 251.83 + 26.651886*k,
         349.42 + 36.412478*k, 84.66 + 18.206239*k, 141.74 + 53.303771*k, 207.14 + 2.453732*k,
         154.84 + 7.306860*k, 34.52 + 27.261239*k, 207.19 + 0.121824*k, 291.34 + 1.844379*k,
         161.72 + 24.198154*k, 239.56 + 25.513099*k, 331.55 + 3.592518*k]
    C = [0.000325, 0.000165, 0.000164, 0.000126, 0.000110, 0.000062, 0.000060, 0.000056,
         0.000047, 0.000042, 0.000040, 0.000037, 0.000035, 0.000023]
    s += sum(c * math.sin(math.radians(a)) for c, a in zip(C, A))
    return jde + s

def jd_to_utc(jd):
    # ignore delta-T (~70 s) - irrelevant at day resolution
    return datetime.datetime(2000, 1, 1, 12) + datetime.timedelta(days=jd - 2451545.0)

def month_start(conj):
    d = conj.date() + datetime.timedelta(days=1)
    hours = conj.hour + conj.minute / 60
    if hours >= CUTOFF_UTC:
        d += datetime.timedelta(days=1)
    return d

def conjunctions(year):
    k0 = math.floor((year - 2000) * 12.3685) - 2
    out = []
    for k in range(k0, k0 + 16):
        out.append(jd_to_utc(new_moon_jde(k)))
    return out

# Hijri month of the conjunction: find Shawwal/Dhu al-Hijjah via a reference:
# 1 Shawwal 1446 = 2025-03-30 (conjunction 2025-03-29).  Lunations advance by 12/year.
REF_K_SHAWWAL = math.floor((2025.24 - 2000) * 12.3685)

def ref_k():
    for k in range(REF_K_SHAWWAL - 2, REF_K_SHAWWAL + 3):
        if jd_to_utc(new_moon_jde(k)).date() == datetime.date(2025, 3, 29):
            return k
    raise SystemExit("reference lunation not found")

def bayrams(first_year, last_year):
    """All (first day, bayram) pairs whose first day falls in [first_year, last_year]."""
    k = ref_k()
    out = []
    for n in range(-60, 60):
        ks = k + 12 * n  # the Hijri year has 12 lunations; Shawwal is 10, Dhu al-Hijjah 12
        sh = month_start(jd_to_utc(new_moon_jde(ks)))
        zh = month_start(jd_to_utc(new_moon_jde(ks + 2))) + datetime.timedelta(days=9)
        for d, name in ((sh, "ramazan"), (zh, "kurban")):
            if first_year <= d.year <= last_year:
                out.append((d, name))
    return sorted(out)

if __name__ == "__main__":
    a, b = int(sys.argv[1]), int(sys.argv[2])
    for d, name in bayrams(a, b):
        print(f"{name}\t{d}\testimate")
