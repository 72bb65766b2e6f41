/*
 * vocab.c - the CBV 2.0 closed vocabularies, URI and time helpers shared
 * by validation and the event hash. The word lists are copied from the
 * EPCIS 2.0 JSON schema (shared/data/epcis/schema/EPCIS-JSON-Schema.json)
 * and the URI prefixes from the EPCIS 2.0 JSON-LD context; both are
 * constants, so nothing here is mutable.
 */
#include "trace_int.h"

#include <ctype.h>

static const char *const voc__bizstep[] = {
	"accepting", "arriving", "assembling", "collecting", "commissioning",
	"consigning", "creating_class_instance", "cycle_counting",
	"decommissioning", "departing", "destroying", "disassembling", "dispensing",
	"encoding", "entering_exiting", "holding", "inspecting", "installing",
	"killing", "loading", "other", "packing", "picking", "receiving",
	"removing", "repackaging", "repairing", "replacing", "reserving",
	"retail_selling", "shipping", "staging_outbound", "stock_taking",
	"stocking", "storing", "transporting", "unloading", "unpacking",
	"void_shipping", "sensor_reporting", "sampling",
};
static const char *const voc__disp[] = {
	"active", "container_closed", "damaged", "destroyed", "dispensed",
	"disposed", "encoded", "expired", "in_progress", "in_transit", "inactive",
	"no_pedigree_match", "non_sellable_other", "partially_dispensed",
	"recalled", "reserved", "retail_sold", "returned", "sellable_accessible",
	"sellable_not_accessible", "stolen", "unknown", "available",
	"completeness_verified", "completeness_inferred", "conformant",
	"container_open", "mismatch_instance", "mismatch_class",
	"mismatch_quantity", "needs_replacement", "non_conformant", "unavailable",
};
static const char *const voc__btt[] = {
	"bol", "cert", "desadv", "inv", "pedigree", "po", "poc", "prodorder",
	"recadv", "rma", "testprd", "testres", "upevt",
};
static const char *const voc__sdt[] = {
	"owning_party", "possessing_party", "location",
};
static const char *const voc__er[] = {
	"did_not_occur", "incorrect_data",
};
static const char *const voc__meas[] = {
	"AbsoluteHumidity", "AbsorbedDose", "AbsorbedDoseRate", "Acceleration",
	"Radioactivity", "Altitude", "AmountOfSubstance",
	"AmountOfSubstancePerUnitVolume", "Angle", "AngularAcceleration",
	"AngularMomentum", "AngularVelocity", "Area", "Capacitance", "Conductance",
	"Conductivity", "Count", "Density", "Dimensionless", "DoseEquivalent",
	"DoseEquivalentRate", "DynamicViscosity", "ElectricCharge",
	"ElectricCurrent", "ElectricCurrentDensity", "ElectricFieldStrength",
	"Energy", "Exposure", "Force", "Frequency", "Illuminance", "Inductance",
	"Irradiance", "KinematicViscosity", "Length", "LinearMomentum", "Luminance",
	"LuminousFlux", "LuminousIntensity", "MagneticFlux", "MagneticFluxDensity",
	"MagneticVectorPotential", "Mass", "MassConcentration", "MassFlowRate",
	"MassPerAreaTime", "MemoryCapacity", "MolalityOfSolute", "MolarEnergy",
	"MolarMass", "MolarVolume", "Power", "Pressure", "RadiantFlux",
	"RadiantIntensity", "RelativeHumidity", "Resistance", "Resistivity",
	"SolidAngle", "SpecificVolume", "Speed", "SurfaceDensity", "SurfaceTension",
	"Temperature", "Time", "Torque", "Voltage", "Volume", "VolumeFlowRate",
	"VolumeFraction", "VolumetricFlux", "Wavenumber",
};
static const char *const voc__alert[] = {
	"ALARM_CONDITION", "ERROR_CONDITION",
};
static const char *const voc__comp[] = {
	"x", "y", "z", "axial_distance", "azimuth", "height", "spherical_radius",
	"polar_angle", "elevation_angle", "easting", "northing", "latitude",
	"longitude", "altitude",
};

const struct trace__vocab trace__voc_bizstep = {
	"bizStep", voc__bizstep, sizeof(voc__bizstep) / sizeof(voc__bizstep[0]),
	"https://ref.gs1.org/cbv/BizStep-" };
const struct trace__vocab trace__voc_disp = {
	"disposition", voc__disp, sizeof(voc__disp) / sizeof(voc__disp[0]),
	"https://ref.gs1.org/cbv/Disp-" };
const struct trace__vocab trace__voc_btt = {
	"bizTransaction type", voc__btt, sizeof(voc__btt) / sizeof(voc__btt[0]),
	"https://ref.gs1.org/cbv/BTT-" };
const struct trace__vocab trace__voc_sdt = {
	"source/destination type", voc__sdt, sizeof(voc__sdt) / sizeof(voc__sdt[0]),
	"https://ref.gs1.org/cbv/SDT-" };
const struct trace__vocab trace__voc_er = {
	"error reason", voc__er, sizeof(voc__er) / sizeof(voc__er[0]),
	"https://ref.gs1.org/cbv/ER-" };
/* Measurement and alert types are GS1 Web Vocabulary terms ("gs1:"), which
 * the CBV 2.0 hash vectors expand to https://gs1.org/voc/. */
const struct trace__vocab trace__voc_meas = {
	"measurement type", voc__meas, sizeof(voc__meas) / sizeof(voc__meas[0]),
	"https://gs1.org/voc/" };
const struct trace__vocab trace__voc_alert = {
	"sensor alert type", voc__alert, sizeof(voc__alert) / sizeof(voc__alert[0]),
	"https://gs1.org/voc/" };
const struct trace__vocab trace__voc_comp = {
	"component", voc__comp, sizeof(voc__comp) / sizeof(voc__comp[0]),
	"https://ref.gs1.org/cbv/Comp-" };

bool trace__vocab_has(const struct trace__vocab *v, const char *w)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->words[i], w) == 0)
			return true;
	return false;
}

bool trace__is_uri(const char *s)
{
	size_t i = 0;

	if (!isalpha((unsigned char)s[0]))
		return false;
	while (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '.' || s[i] == '-')
		i++;
	if (s[i] != ':' || s[i + 1] == '\0')
		return false;
	for (; s[i]; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f || s[i] == '"' ||
		    s[i] == '<' || s[i] == '>' || s[i] == '\\' || s[i] == '^' ||
		    s[i] == '`' || s[i] == '{' || s[i] == '|' || s[i] == '}')
			return false;
	return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil, exact for every year we accept). */
static int64_t time__days(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool time__leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int time__mdays(int64_t y, int m)
{
	static const int md[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && time__leap(y) ? 29 : md[m - 1];
}

/* n decimal digits at s into *v; false unless all are digits. */
static bool time__num(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

bool trace__time_parse(const char *s, int64_t *secs, int *frac4)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, f = 0, nf = 0, sign = 0;
	const char *p;

	if (strnlen(s, 20) < 19 || !time__num(s, 4, &y) || s[4] != '-' ||
	    !time__num(s + 5, 2, &mo) || s[7] != '-' || !time__num(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't') || !time__num(s + 11, 2, &h) ||
	    s[13] != ':' || !time__num(s + 14, 2, &mi) || s[16] != ':' ||
	    !time__num(s + 17, 2, &sec))
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > time__mdays(y, mo) || h > 23 ||
	    mi > 59 || sec > 59)
		return false;
	p = s + 19;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return false;
		/* Keep four digits: three for milliseconds, the fourth for
		 * rounding; the rest only need to be digits. */
		for (; *p >= '0' && *p <= '9'; p++, nf++)
			if (nf < 4)
				f = f * 10 + (*p - '0');
		for (; nf < 4; nf++)
			f *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '+' ? 1 : -1;
		if (!time__num(p + 1, 2, &oh) || p[3] != ':' ||
		    !time__num(p + 4, 2, &om) || oh > 23 || om > 59)
			return false;
		p += 6;
	} else {
		return false;
	}
	if (*p)
		return false;
	*secs = time__days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
		sign * (oh * 3600 + om * 60);
	*frac4 = f;
	return true;
}

/* n decimal digits of v (0 <= v < 10^n), zero-padded. */
static void time__put(char *out, int64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v /= 10)
		out[i] = (char)('0' + v % 10);
}

bool trace__time_format(int64_t secs, int ms, char out[32])
{
	int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	int64_t rem = secs - days * 86400, z, era, doe, yoe, y, doy, mp, d, m;

	/* civil_from_days, the inverse of time__days. */
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	if (y < 0 || y > 9999 || ms < 0 || ms > 999)
		return false;
	/* Written digit by digit: this runs for every event hashed, and
	 * snprintf was a tenth of the hash's cost. */
	time__put(out, y, 4);
	out[4] = '-';
	time__put(out + 5, m, 2);
	out[7] = '-';
	time__put(out + 8, d, 2);
	out[10] = 'T';
	time__put(out + 11, rem / 3600, 2);
	out[13] = ':';
	time__put(out + 14, rem / 60 % 60, 2);
	out[16] = ':';
	time__put(out + 17, rem % 60, 2);
	out[19] = '.';
	time__put(out + 20, ms, 3);
	out[23] = 'Z';
	out[24] = '\0';
	return true;
}

/* Prefixes of the standard EPCIS 2.0 JSON-LD context, which every EPCIS
 * document imports by URL; a document's own @context may override them. */
static const struct { const char *prefix, *uri; } ns__builtin[] = {
	{ "epcis", "https://ref.gs1.org/epcis/" },
	{ "cbv", "https://ref.gs1.org/cbv/" },
	{ "cbvmda", "urn:epcglobal:cbv:mda:" },
	{ "gs1", "https://gs1.org/voc/" },
	{ "rdfs", "http://www.w3.org/2000/01/rdf-schema#" },
	{ "owl", "http://www.w3.org/2002/07/owl#" },
	{ "xsd", "http://www.w3.org/2001/XMLSchema#" },
	{ "dcterms", "http://purl.org/dc/terms/" },
};

/* Looks prefix up in one @context entry (an object); NULL when absent. */
static const char *ns__in_obj(const json_t *obj, const char *prefix)
{
	const json_t *v;

	if (!json_is_object(obj))
		return NULL;
	v = json_object_get(obj, prefix);
	if (json_is_object(v))
		v = json_object_get(v, "@id");
	return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *trace__ns_lookup(const json_t *ctx, const char *key,
			     const char **local)
{
	const char *colon = strchr(key, ':');
	char prefix[64];
	const char *uri = NULL;
	size_t pn;

	if (!colon || colon == key || colon[1] == '/' )
		return NULL;
	pn = (size_t)(colon - key);
	if (pn >= sizeof(prefix))
		return NULL;
	memcpy(prefix, key, pn);
	prefix[pn] = '\0';
	if (json_is_array(ctx)) {
		size_t i;
		const json_t *e;
		json_array_foreach(ctx, i, e) {
			const char *u = ns__in_obj(e, prefix);
			if (u)
				uri = u; /* later entries win, as in JSON-LD */
		}
	} else {
		uri = ns__in_obj(ctx, prefix);
	}
	for (size_t i = 0; !uri && i < sizeof(ns__builtin) / sizeof(ns__builtin[0]); i++)
		if (strcmp(ns__builtin[i].prefix, prefix) == 0)
			uri = ns__builtin[i].uri;
	if (uri)
		*local = colon + 1;
	return uri;
}
