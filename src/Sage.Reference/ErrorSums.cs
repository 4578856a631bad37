namespace Sage.Reference;

/// <summary>
/// Running sums behind <see cref="AccuracyReport"/>. Values arrive in chunks; each chunk is summed on its own and
/// then added to the totals, which keeps the rounding error of long sums near that of pairwise summation.
/// </summary>
internal struct ErrorSums
{
    private double _dot, _expectedSquares, _actualSquares, _absError, _absExpected, _squaredError, _maxAbsError;
    private long _count, _nanExpected, _nanActual, _infExpected, _infActual;

    public void Add(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual)
    {
        double dot = 0, ee = 0, aa = 0, absError = 0, absExpected = 0, squaredError = 0, maxAbs = _maxAbsError;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (!double.IsFinite(e) || !double.IsFinite(a))
            {
                if (double.IsNaN(e)) _nanExpected++; else if (double.IsInfinity(e)) _infExpected++;
                if (double.IsNaN(a)) _nanActual++; else if (double.IsInfinity(a)) _infActual++;
                continue;
            }
            double diff = a - e, absDiff = Math.Abs(diff);
            dot += e * a;
            ee += e * e;
            aa += a * a;
            absError += absDiff;
            absExpected += Math.Abs(e);
            squaredError += diff * diff;
            if (absDiff > maxAbs) maxAbs = absDiff;
        }
        _dot += dot;
        _expectedSquares += ee;
        _actualSquares += aa;
        _absError += absError;
        _absExpected += absExpected;
        _squaredError += squaredError;
        _maxAbsError = maxAbs;
        _count += expected.Length;
    }

    public readonly AccuracyReport ToReport()
    {
        bool finite = _nanExpected == 0 && _nanActual == 0 && _infExpected == 0 && _infActual == 0;
        if (!finite)
            return new(double.NaN, double.NaN, double.NaN, double.NaN, _count, _nanExpected, _nanActual, _infExpected, _infActual);
        return new(Cosine(), RelativeL1(), _count == 0 ? 0 : Math.Sqrt(_squaredError / _count), _maxAbsError,
            _count, 0, 0, 0, 0);
    }

    private readonly double Cosine()
    {
        bool expectedZero = _expectedSquares == 0, actualZero = _actualSquares == 0;
        if (expectedZero && actualZero) return 1; // two zero vectors (or nothing compared) agree perfectly
        if (expectedZero || actualZero) return 0; // a zero vector has no direction: count it as unrelated
        // √(a·b) rather than √a·√b: for identical inputs a = b = dot, and √(fl(x²)) = x exactly in IEEE arithmetic,
        // so a comparison with itself gives exactly 1. The split form is the fallback where a·b over- or underflows.
        double product = _expectedSquares * _actualSquares;
        double norms = double.IsNormal(product)
            ? Math.Sqrt(product)
            : Math.Sqrt(_expectedSquares) * Math.Sqrt(_actualSquares);
        // Rounding can still push the quotient of nearly parallel vectors a hair past ±1.
        return Math.Clamp(_dot / norms, -1.0, 1.0);
    }

    private readonly double RelativeL1()
    {
        if (_absExpected == 0) return _absError == 0 ? 0 : double.PositiveInfinity;
        return _absError / _absExpected;
    }
}
