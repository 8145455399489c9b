/* power.c - minimal detectable effects and sample sizes of a two-arm test of
 * means (normal approximation, as every textbook power calculation). */
#include "experiment/power.h"

#include <gsl/gsl_cdf.h>
#include <math.h>

double power_z_sum(double alpha, double power)
{
    return gsl_cdf_ugaussian_Pinv(1 - alpha / 2) + gsl_cdf_ugaussian_Pinv(power);
}

/* 1/s_T + 1/s_H, NaN outside (0, 1). */
static double allocation_factor(double holdout_share)
{
    if (!(holdout_share > 0 && holdout_share < 1))
        return NAN;
    return 1 / (1 - holdout_share) + 1 / holdout_share;
}

double power_mde(double sigma, double members, double holdout_share, double alpha, double power)
{
    if (!(members > 0))
        return NAN;
    return power_z_sum(alpha, power) * sigma * sqrt(allocation_factor(holdout_share) / members);
}

double power_members(double sigma, double delta, double holdout_share, double alpha, double power)
{
    double z = power_z_sum(alpha, power);
    if (delta == 0)
        return INFINITY;
    return z * z * sigma * sigma * allocation_factor(holdout_share) / (delta * delta);
}

double power_proportion_variance(double p)
{
    return p * (1 - p);
}
