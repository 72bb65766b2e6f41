/*
 * eval.c - tallies of inspection results against simulator ground truth,
 * and their Markdown report: confusion matrix per defect class, detection
 * rate per class, probability of detection (POD) per particle-size bin and
 * the false-reject rate on good units (with and without bubbles). Every
 * rate is printed with its 95 % Wilson interval, because with a few
 * hundred units per class a bare percentage overstates what is known.
 */
#include "vision/vision_int.h"

static const double bin_lo[VIS_EVAL_BINS] = { 0, 50, 100, 150, 200, 300 };
static const char *const bin_names[VIS_EVAL_BINS] = {
	"<50", "50-100", "100-150", "150-200", "200-300", "300-500",
};

void vis_eval_init(struct vis_eval *e)
{
	memset(e, 0, sizeof(*e));
}

int vis_eval_bin(double size_um)
{
	int b = 0;
	for (int i = 0; i < VIS_EVAL_BINS; i++)
		if (size_um >= bin_lo[i])
			b = i;
	return b;
}

const char *vis_eval_bin_name(int bin)
{
	return bin >= 0 && bin < VIS_EVAL_BINS ? bin_names[bin] : "?";
}

/* The class a result "called": the strongest reject reason, NONE for an
 * accept, UNINSPECTABLE for an uninspectable unit. */
static enum vis_class called_class(const struct vis_result *r)
{
	if (r->verdict == VIS_ACCEPT)
		return VIS_C_NONE;
	if (r->verdict == VIS_UNINSPECTABLE)
		return VIS_C_UNINSPECTABLE;
	enum vis_class c = VIS_C_NONE;
	double best = -1;
	for (size_t i = 0; i < r->n_reasons; i++)
		if (r->reasons[i].cls != VIS_C_BUBBLE && r->reasons[i].confidence > best) {
			best = r->reasons[i].confidence;
			c = r->reasons[i].cls;
		}
	return c;
}

void vis_eval_add(struct vis_eval *e, const struct vis_sim_truth *t, const struct vis_result *r)
{
	enum vis_class tc = (unsigned)t->cls < VIS_C__COUNT ? t->cls : VIS_C_NONE;
	enum vis_class cc = called_class(r);
	bool rej = r->verdict != VIS_ACCEPT;
	bool bubbles = false;

	e->units++;
	e->confusion[tc][cc]++;
	e->truth_n[tc]++;
	e->rejected[tc] += rej;
	for (size_t i = 0; i < t->n_objects; i++) {
		const struct vis_sim_object *o = &t->objects[i];
		if (o->cls == VIS_C_BUBBLE)
			bubbles = true;
		if (o->cls == VIS_C_PARTICLE || o->cls == VIS_C_FIBRE) {
			int b = vis_eval_bin(o->size_um);
			e->pod_n[b]++;
			e->pod_hit[b] += rej;
		}
	}
	if (tc == VIS_C_NONE) {
		e->good_n++;
		e->good_rejected += rej;
		if (bubbles) {
			e->bubble_good_n++;
			e->bubble_good_rejected += rej;
		}
	}
}

void vis_eval_merge(struct vis_eval *into, const struct vis_eval *from)
{
	for (int i = 0; i < VIS_C__COUNT; i++) {
		for (int j = 0; j < VIS_C__COUNT; j++)
			into->confusion[i][j] += from->confusion[i][j];
		into->truth_n[i] += from->truth_n[i];
		into->rejected[i] += from->rejected[i];
	}
	for (int b = 0; b < VIS_EVAL_BINS; b++) {
		into->pod_n[b] += from->pod_n[b];
		into->pod_hit[b] += from->pod_hit[b];
	}
	into->good_n += from->good_n;
	into->good_rejected += from->good_rejected;
	into->bubble_good_n += from->bubble_good_n;
	into->bubble_good_rejected += from->bubble_good_rejected;
	into->units += from->units;
}

/* 95 % Wilson score interval of k successes in n. */
static void wilson(uint64_t k, uint64_t n, double *lo, double *hi)
{
	if (!n) {
		*lo = 0;
		*hi = 1;
		return;
	}
	double z = 1.959964, p = (double)k / n, d = 1 + z * z / n;
	double c = (p + z * z / (2.0 * n)) / d;
	double h = z * sqrt(p * (1 - p) / n + z * z / (4.0 * n * n)) / d;
	*lo = fmax(0, c - h);
	*hi = fmin(1, c + h);
}

static int rate(struct pl_buf *o, uint64_t k, uint64_t n)
{
	double lo, hi;
	if (!n)
		return pl_buf_puts(o, "n/a");
	wilson(k, n, &lo, &hi);
	return pl_buf_printf(o, "%.1f %% (%llu/%llu; %.1f-%.1f)", 100.0 * k / n,
			     (unsigned long long)k, (unsigned long long)n, 100 * lo, 100 * hi);
}

int vis_eval_markdown(const struct vis_eval *e, struct pl_buf *o)
{
	int rc = 0;
	bool col[VIS_C__COUNT] = { false };

	for (int i = 0; i < VIS_C__COUNT; i++)
		for (int j = 0; j < VIS_C__COUNT; j++)
			if (e->confusion[i][j])
				col[j] = true;
	rc |= pl_buf_printf(o, "Units inspected: %llu\n\n", (unsigned long long)e->units);
	rc |= pl_buf_puts(o, "### Detection per class\n\n| truth | units | rejected (95 % CI) |\n|---|---:|---|\n");
	for (int i = 0; i < VIS_C__COUNT; i++) {
		if (!e->truth_n[i])
			continue;
		rc |= pl_buf_printf(o, "| %s | %llu | ", i == VIS_C_NONE ? "good" : vis_class_name(i),
				    (unsigned long long)e->truth_n[i]);
		rc |= rate(o, e->rejected[i], e->truth_n[i]);
		rc |= pl_buf_puts(o, " |\n");
	}
	rc |= pl_buf_puts(o, "\n### Confusion matrix (rows: truth, columns: strongest reason called; none = accepted)\n\n| truth \\ called |");
	for (int j = 0; j < VIS_C__COUNT; j++)
		if (col[j])
			rc |= pl_buf_printf(o, " %s |", vis_class_name(j));
	rc |= pl_buf_puts(o, "\n|---|");
	for (int j = 0; j < VIS_C__COUNT; j++)
		if (col[j])
			rc |= pl_buf_puts(o, "---:|");
	rc |= pl_buf_puts(o, "\n");
	for (int i = 0; i < VIS_C__COUNT; i++) {
		if (!e->truth_n[i])
			continue;
		rc |= pl_buf_printf(o, "| %s |", i == VIS_C_NONE ? "good" : vis_class_name(i));
		for (int j = 0; j < VIS_C__COUNT; j++)
			if (col[j])
				rc |= pl_buf_printf(o, " %llu |", (unsigned long long)e->confusion[i][j]);
		rc |= pl_buf_puts(o, "\n");
	}
	rc |= pl_buf_puts(o, "\n### Probability of detection by particle size (particles, stuck particles and fibres)\n\n| size (um) | units | POD (95 % CI) |\n|---|---:|---|\n");
	for (int b = 1; b < VIS_EVAL_BINS; b++) {
		rc |= pl_buf_printf(o, "| %s | %llu | ", bin_names[b], (unsigned long long)e->pod_n[b]);
		rc |= rate(o, e->pod_hit[b], e->pod_n[b]);
		rc |= pl_buf_puts(o, " |\n");
	}
	rc |= pl_buf_puts(o, "\n### False rejects\n\n| units | false-reject rate (95 % CI) |\n|---|---|\n| good units | ");
	rc |= rate(o, e->good_rejected, e->good_n);
	rc |= pl_buf_puts(o, " |\n| good units with bubbles | ");
	rc |= rate(o, e->bubble_good_rejected, e->bubble_good_n);
	rc |= pl_buf_puts(o, " |\n");
	return rc ? PL_ETOOBIG : 0;
}
