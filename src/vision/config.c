/*
 * config.c - product configuration, class names and the result object of
 * the inspection library: the plain-data parts every other vision file
 * shares. The defaults describe one real container format (a 2R vial:
 * 16 mm glass body, 13 mm crimp cap, 2 mL fill) so that the simulator and
 * the inspector agree on geometry without either hard-coding it.
 */
#include "vision/vision.h"

#include <errno.h>
#include <math.h>

static const char *const class_names[VIS_C__COUNT] = {
	[VIS_C_NONE] = "none",
	[VIS_C_PARTICLE] = "particle",
	[VIS_C_FIBRE] = "fibre",
	[VIS_C_FILL_LOW] = "fill_low",
	[VIS_C_FILL_HIGH] = "fill_high",
	[VIS_C_CAP_MISSING] = "cap_missing",
	[VIS_C_CAP_MISALIGNED] = "cap_misaligned",
	[VIS_C_GLASS_CRACK] = "glass_crack",
	[VIS_C_GLASS_SCRATCH] = "glass_scratch",
	[VIS_C_COSMETIC] = "cosmetic",
	[VIS_C_BUBBLE] = "bubble",
	[VIS_C_UNINSPECTABLE] = "uninspectable",
};

const char *vis_class_name(enum vis_class c)
{
	return (unsigned)c < VIS_C__COUNT ? class_names[c] : "?";
}

int vis_class_parse(const char *s, enum vis_class *out)
{
	for (int i = 0; i < VIS_C__COUNT; i++)
		if (!strcmp(s, class_names[i])) {
			*out = (enum vis_class)i;
			return 0;
		}
	return PL_EINVAL;
}

const char *vis_verdict_name(enum vis_verdict v)
{
	switch (v) {
	case VIS_ACCEPT: return "accept";
	case VIS_REJECT: return "reject";
	case VIS_UNINSPECTABLE: return "uninspectable";
	}
	return "?";
}

void vis_config_default(struct vis_config *c)
{
	memset(c, 0, sizeof(*c));
	c->um_per_px = 25.0;
	c->width = 1024;
	c->height = 1536;
	c->views = 22;
	c->frames = 3;
	c->body_radius_mm = 8.0;
	c->wall_mm = 1.0;
	c->base_mm = 1.0;
	c->body_height_mm = 24.0;
	c->neck_radius_mm = 5.0;
	c->neck_top_mm = 28.5;
	c->cap_radius_mm = 6.5;
	c->cap_top_mm = 34.5;
	c->stopper_top_mm = 31.5;
	c->fill_min_mm = 13.0;
	c->fill_max_mm = 15.0;
	c->meniscus_offset_mm = 0.2;
	c->k_sigma = 5.0;
	c->min_contrast = 10.0;
	c->static_k_sigma = 6.0;
	c->particle_min_um = 40.0;
	c->cap_tilt_max_deg = 2.5;
	c->cap_height_tol_mm = 1.2;
	c->min_views_agree = 2;
}

int vis_config_check(const struct vis_config *c, char *why, size_t whysz)
{
	const char *bad = NULL;
	double h_mm = c->height * c->um_per_px / 1000.0;
	double w_mm = c->width * c->um_per_px / 1000.0;

	if (!(c->um_per_px >= 5.0 && c->um_per_px <= 200.0))
		bad = "um_per_px must be in [5, 200]";
	else if (c->width < 64 || c->height < 64 || c->width > VIS_DIM_MAX ||
		 c->height > VIS_DIM_MAX || (uint64_t)c->width * c->height > VIS_PIXELS_MAX)
		bad = "width and height must be in [64, 8192] and w*h within the pixel cap";
	else if (c->views < 1 || c->views > VIS_VIEWS_MAX)
		bad = "views must be in [1, 32]";
	else if (c->frames < 2 || c->frames > VIS_FRAMES_MAX)
		bad = "frames must be in [2, 20] (moving particles need at least two)";
	else if (!(c->body_radius_mm > c->wall_mm && c->wall_mm > 0 && c->base_mm > 0 &&
		   c->neck_radius_mm < c->body_radius_mm && c->neck_radius_mm > 0 &&
		   c->cap_radius_mm > c->neck_radius_mm &&
		   c->body_height_mm > c->base_mm + 2 &&
		   c->neck_top_mm > c->body_height_mm &&
		   c->stopper_top_mm > c->neck_top_mm && c->cap_top_mm > c->stopper_top_mm))
		bad = "container geometry is inconsistent (radii and heights out of order)";
	else if (2 * (c->cap_radius_mm > c->body_radius_mm ? c->cap_radius_mm
							    : c->body_radius_mm) + 2.0 > w_mm ||
		 c->cap_top_mm + 2.5 > h_mm)
		bad = "the container does not fit in the frame with a 1 mm margin";
	else if (!(c->fill_min_mm > c->base_mm && c->fill_max_mm > c->fill_min_mm &&
		   c->fill_max_mm < c->body_height_mm))
		bad = "fill window must lie inside the body";
	else if (!(c->k_sigma >= 2 && c->k_sigma <= 50 && c->static_k_sigma >= 2 &&
		   c->static_k_sigma <= 50 && c->min_contrast >= 0 && c->min_contrast < 128 &&
		   c->particle_min_um >= 0 && c->cap_tilt_max_deg > 0 &&
		   c->cap_height_tol_mm > 0 && fabs(c->meniscus_offset_mm) < 2))
		bad = "a threshold is out of range";
	else if (c->min_views_agree < 1 || c->min_views_agree > c->views)
		bad = "min_views_agree must be in [1, views]";
	else if (c->views < 32 && (c->dark_field_mask >> c->views))
		bad = "dark_field_views: a view index is not below views";
	else if (c->views == 32 ? c->dark_field_mask == UINT32_MAX
				: c->dark_field_mask == (1u << c->views) - 1)
		bad = "dark_field_views: at least one view must stay back-lit "
		      "(fill, cap and glass are measured there)";
	if (bad) {
		if (why && whysz)
			pl_strlcpy(why, bad, whysz);
		return PL_EINVAL;
	}
	return 0;
}

bool vis_config_dark_field(const struct vis_config *c, unsigned v)
{
	return v < VIS_VIEWS_MAX && (c->dark_field_mask >> v & 1u);
}

int vis_config_set_dark_field(struct vis_config *c, unsigned n)
{
	uint32_t m = 0;
	if (n >= c->views)
		return PL_EINVAL;
	for (unsigned k = 0; k < n; k++)
		m |= 1u << (k * c->views / n);
	c->dark_field_mask = m;
	return 0;
}

int vis_config_parse_dark_field(struct vis_config *c, const char *list, char *why, size_t whysz)
{
	struct vis_config t = *c;
	const char *p = list;
	t.dark_field_mask = 0;
	if (strcmp(list, "none")) {
		for (;;) {
			char *end;
			errno = 0;
			long v = strtol(p, &end, 10);
			if (end == p || errno || v < 0 || v >= (long)t.views || (*end && *end != ',')) {
				snprintf(why, whysz, "dark-field views must be indices 0..%u, comma-separated: '%s'",
					 t.views - 1, list);
				return PL_EINVAL;
			}
			if (t.dark_field_mask >> v & 1u) {
				snprintf(why, whysz, "dark-field view %ld is listed twice", v);
				return PL_EINVAL;
			}
			t.dark_field_mask |= 1u << v;
			if (!*end)
				break;
			p = end + 1;
		}
	}
	if (vis_config_check(&t, why, whysz))
		return PL_EINVAL;
	*c = t;
	return 0;
}

/* "dark_field_views": an array of distinct view indices 0..31 (whether
 * each is below views is vis_config_check's job, after every member is
 * read, since "views" may come later in the object). */
static int dark_field_from_json(const json_t *v, uint32_t *mask, struct pl_json_error *err)
{
	size_t i;
	json_t *e;
	uint32_t m = 0;
	if (!json_is_array(v) || json_array_size(v) > VIS_VIEWS_MAX)
		goto bad;
	json_array_foreach(v, i, e) {
		if (!json_is_integer(e) || json_integer_value(e) < 0 ||
		    json_integer_value(e) >= VIS_VIEWS_MAX)
			goto bad;
		uint32_t bit = 1u << json_integer_value(e);
		if (m & bit) {
			snprintf(err->text, sizeof(err->text),
				 "dark_field_views: view %lld is listed twice",
				 (long long)json_integer_value(e));
			goto out;
		}
		m |= bit;
	}
	*mask = m;
	return 0;
bad:
	pl_strlcpy(err->text, "dark_field_views must be an array of view indices 0..31",
		   sizeof(err->text));
out:
	pl_strlcpy(err->field, "dark_field_views", sizeof(err->field));
	return PL_EINVAL;
}

/* One table drives both JSON directions, so a new field cannot be
 * forgotten in one of them. */
enum cfg_type { CT_DOUBLE, CT_U32, CT_UNSIGNED };
struct cfg_field {
	const char *name;
	enum cfg_type type;
	size_t off;
};
#define F(n, t) { #n, t, offsetof(struct vis_config, n) }
static const struct cfg_field cfg_fields[] = {
	F(um_per_px, CT_DOUBLE), F(width, CT_U32), F(height, CT_U32),
	F(views, CT_UNSIGNED), F(frames, CT_UNSIGNED),
	F(body_radius_mm, CT_DOUBLE), F(wall_mm, CT_DOUBLE), F(base_mm, CT_DOUBLE),
	F(body_height_mm, CT_DOUBLE), F(neck_radius_mm, CT_DOUBLE),
	F(neck_top_mm, CT_DOUBLE), F(cap_radius_mm, CT_DOUBLE), F(cap_top_mm, CT_DOUBLE),
	F(stopper_top_mm, CT_DOUBLE), F(fill_min_mm, CT_DOUBLE), F(fill_max_mm, CT_DOUBLE),
	F(meniscus_offset_mm, CT_DOUBLE), F(k_sigma, CT_DOUBLE), F(min_contrast, CT_DOUBLE),
	F(static_k_sigma, CT_DOUBLE), F(particle_min_um, CT_DOUBLE),
	F(cap_tilt_max_deg, CT_DOUBLE), F(cap_height_tol_mm, CT_DOUBLE),
	F(min_views_agree, CT_UNSIGNED),
};
#undef F
#define N_CFG_FIELDS (sizeof(cfg_fields) / sizeof(cfg_fields[0]))

json_t *vis_config_to_json(const struct vis_config *c)
{
	json_t *o = json_object();
	for (size_t i = 0; i < N_CFG_FIELDS; i++) {
		/* memcpy through the offset, not a cast: the field is exactly
		 * that type, and no pointer of another type ever aliases it */
		const char *p = (const char *)c + cfg_fields[i].off;
		json_t *v;
		double d;
		uint32_t u32;
		unsigned u;
		switch (cfg_fields[i].type) {
		case CT_DOUBLE: memcpy(&d, p, sizeof(d)); v = json_real(d); break;
		case CT_U32: memcpy(&u32, p, sizeof(u32)); v = json_integer(u32); break;
		default: memcpy(&u, p, sizeof(u)); v = json_integer(u); break;
		}
		json_object_set_new(o, cfg_fields[i].name, v);
	}
	/* only when set: a back-lit-only product's JSON is as it always was */
	if (c->dark_field_mask) {
		json_t *arr = json_array();
		for (unsigned v = 0; v < VIS_VIEWS_MAX; v++)
			if (c->dark_field_mask >> v & 1u)
				json_array_append_new(arr, json_integer(v));
		json_object_set_new(o, "dark_field_views", arr);
	}
	return o;
}

int vis_config_from_json(const json_t *obj, struct vis_config *c, struct pl_json_error *err)
{
	const char *key;
	json_t *v;
	char why[160];

	memset(err, 0, sizeof(*err));
	vis_config_default(c);
	if (!json_is_object(obj)) {
		pl_strlcpy(err->text, "product configuration must be a JSON object",
			   sizeof(err->text));
		return PL_EINVAL;
	}
	json_object_foreach((json_t *)obj, key, v) {
		size_t i;
		if (!strcmp(key, "dark_field_views")) {
			if (dark_field_from_json(v, &c->dark_field_mask, err))
				return PL_EINVAL;
			continue;
		}
		for (i = 0; i < N_CFG_FIELDS; i++)
			if (!strcmp(key, cfg_fields[i].name))
				break;
		if (i == N_CFG_FIELDS) {
			snprintf(err->text, sizeof(err->text), "unknown member '%s'", key);
			pl_strlcpy(err->field, key, sizeof(err->field));
			return PL_EINVAL;
		}
		char *p = (char *)c + cfg_fields[i].off;
		if (cfg_fields[i].type == CT_DOUBLE) {
			if (!json_is_number(v))
				goto badtype;
			double d = json_number_value(v);
			memcpy(p, &d, sizeof(d));
		} else {
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    json_integer_value(v) > VIS_DIM_MAX)
				goto badtype;
			if (cfg_fields[i].type == CT_U32) {
				uint32_t u32 = (uint32_t)json_integer_value(v);
				memcpy(p, &u32, sizeof(u32));
			} else {
				unsigned u = (unsigned)json_integer_value(v);
				memcpy(p, &u, sizeof(u));
			}
		}
		continue;
badtype:
		snprintf(err->text, sizeof(err->text), "member '%s' must be a %s", key,
			 cfg_fields[i].type == CT_DOUBLE ? "number" : "small non-negative integer");
		pl_strlcpy(err->field, key, sizeof(err->field));
		return PL_EINVAL;
	}
	if (vis_config_check(c, why, sizeof(why))) {
		pl_strlcpy(err->text, why, sizeof(err->text));
		return PL_EINVAL;
	}
	return 0;
}

/* --------------------------------------------------------------- result */
void vis_result_init(struct vis_result *r)
{
	memset(r, 0, sizeof(*r));
	r->fill_mm = NAN;
	r->cap_top_mm = NAN;
	r->overlay_view = -1;
}

void vis_result_release(struct vis_result *r)
{
	free(r->overlay);
	vis_result_init(r);
}

void vis_result_add(struct vis_result *r, const struct vis_reason *rs)
{
	if (r->n_reasons >= VIS_REASONS_MAX) {
		r->n_dropped++;
		return;
	}
	r->reasons[r->n_reasons++] = *rs;
}

void vis_result_set_uninspectable(struct vis_result *r, int view, const char *why)
{
	struct vis_reason rs = { 0 };
	rs.cls = VIS_C_UNINSPECTABLE;
	rs.view = view;
	rs.confidence = 1.0;
	pl_strlcpy(rs.detail, why, sizeof(rs.detail));
	r->verdict = VIS_UNINSPECTABLE;
	r->confidence = 1.0;
	vis_result_add(r, &rs);
}

json_t *vis_result_to_json(const struct vis_result *r)
{
	json_t *o = json_object(), *arr = json_array();
	json_object_set_new(o, "verdict", json_string(vis_verdict_name(r->verdict)));
	json_object_set_new(o, "confidence", json_real(r->confidence));
	if (!isnan(r->fill_mm))
		json_object_set_new(o, "fill_mm", json_real(r->fill_mm));
	if (!isnan(r->cap_top_mm))
		json_object_set_new(o, "cap_top_mm", json_real(r->cap_top_mm));
	json_object_set_new(o, "cap_tilt_deg", json_real(r->cap_tilt_deg));
	json_object_set_new(o, "bubbles_passed", json_integer(r->n_bubbles));
	if (r->overlay)
		json_object_set_new(o, "overlay_view", json_integer(r->overlay_view));
	for (size_t i = 0; i < r->n_reasons; i++) {
		const struct vis_reason *s = &r->reasons[i];
		json_t *j = json_object();
		json_object_set_new(j, "class", json_string(vis_class_name(s->cls)));
		json_object_set_new(j, "view", json_integer(s->view));
		json_object_set_new(j, "x_mm", json_real(round(s->x_mm * 1000) / 1000));
		json_object_set_new(j, "z_mm", json_real(round(s->z_mm * 1000) / 1000));
		json_object_set_new(j, "size_um", json_real(round(s->size_um)));
		json_object_set_new(j, "confidence", json_real(round(s->confidence * 1000) / 1000));
		json_object_set_new(j, "views", json_integer(s->n_views));
		json_object_set_new(j, "detail", json_string(s->detail));
		json_array_append_new(arr, j);
	}
	json_object_set_new(o, "reasons", arr);
	if (r->n_dropped)
		json_object_set_new(o, "reasons_dropped", json_integer((json_int_t)r->n_dropped));
	return o;
}
