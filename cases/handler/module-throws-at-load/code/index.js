'use strict';

throw new RangeError('configuration missing at load');
